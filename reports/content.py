"""The data a report shows, read from the database and formatted as plain strings.

The template only lays the strings out, so Django's autoescaping applies to every
value that came from a user or an integration.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from incidents.history_changes import (
    EMPTY,
    HistoryChange,
    HistoryLookups,
    format_time,
    history_actor_label,
    load_history_lookups,
    record_changes,
)
from incidents.models import Action, Incident

# Rendering time and memory grow with the length of one table, so long tables are
# laid out as several tables of at most this many rows each.
TABLE_CHUNK_ROWS = 100


@dataclass(frozen=True)
class ReportTable:
    """One section of the report: a heading, column names and rows of strings."""

    title: str
    columns: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]
    empty_text: str = "None recorded."
    css_class: str = ""

    @property
    def chunks(self) -> list[Sequence[tuple[str, ...]]]:
        return [
            self.rows[start : start + TABLE_CHUNK_ROWS]
            for start in range(0, len(self.rows), TABLE_CHUNK_ROWS)
        ]


def format_duration(value: dt.timedelta | None) -> str:
    """Format a duration as days, hours, minutes and seconds, leaving out leading zeros."""
    if value is None:
        return EMPTY
    seconds = int(value.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    days, seconds = divmod(seconds, 86_400)
    hours, seconds = divmod(seconds, 3_600)
    minutes, seconds = divmod(seconds, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "min"), (seconds, "s")]
    while len(parts) > 1 and parts[0][0] == 0:
        parts.pop(0)
    return sign + " ".join(f"{amount} {unit}" for amount, unit in parts)


def _username(user) -> str:
    return user.get_username() if user is not None else EMPTY


def incident_details(incident: Incident) -> list[tuple[str, str]]:
    services = ", ".join(service.name for service in incident.affected_services.all())
    return [
        ("Key", incident.key),
        ("Title", incident.title),
        ("Severity", incident.get_severity_display()),
        ("Status", incident.get_status_display()),
        ("Category", incident.get_category_display()),
        ("Private", "Yes" if incident.private else "No"),
        ("Affected services", services or EMPTY),
        ("Commander", _username(incident.commander)),
        ("Security lead", _username(incident.security_lead)),
    ]


def incident_times(incident: Incident) -> list[tuple[str, str]]:
    return [
        ("Detected", format_time(incident.detected_at)),
        ("Acknowledged", format_time(incident.acknowledged_at)),
        ("Mitigated", format_time(incident.mitigated_at)),
        ("Resolved", format_time(incident.resolved_at)),
        ("Closed", format_time(incident.closed_at)),
        ("Time to acknowledge (MTTA)", format_duration(incident.time_to_acknowledge)),
        ("Time to resolve (MTTR)", format_duration(incident.time_to_resolve)),
    ]


def _objects_table(
    *,
    title: str,
    css_class: str,
    objects: Iterable,
    columns: Sequence[tuple[str, Callable[[Any], str]]],
) -> ReportTable:
    """Build a table with one row per object and one cell per (heading, getter) column."""
    return ReportTable(
        title=title,
        columns=tuple(heading for heading, _ in columns),
        rows=[tuple(cell(item) for _, cell in columns) for item in objects],
        css_class=css_class,
    )


def timeline_table(incident: Incident) -> ReportTable:
    return _objects_table(
        title="Timeline",
        css_class="timeline",
        objects=incident.timeline.select_related("actor_user").order_by("occurred_at", "id"),
        columns=[
            ("Time (UTC)", lambda entry: format_time(entry.occurred_at)),
            ("Kind", lambda entry: entry.get_kind_display()),
            ("Actor", lambda entry: entry.actor_label),
            ("Text", lambda entry: entry.text),
        ],
    )


def actions_table(incident: Incident) -> ReportTable:
    return _objects_table(
        title="Actions",
        css_class="actions",
        objects=incident.actions.select_related("owner").order_by("created_at", "id"),
        columns=[
            ("Title", lambda action: action.title),
            ("Kind", lambda action: action.get_kind_display()),
            ("Owner", lambda action: _username(action.owner)),
            ("Status", lambda action: action.get_status_display()),
            ("Done (UTC)", lambda action: format_time(action.done_at)),
        ],
    )


def alerts_table(incident: Incident) -> ReportTable:
    return _objects_table(
        title="Alerts",
        css_class="alerts",
        objects=incident.alerts.order_by("received_at", "id"),
        columns=[
            ("Source", lambda alert: alert.get_source_display()),
            ("Received (UTC)", lambda alert: format_time(alert.received_at)),
            ("Title", lambda alert: alert.title),
            ("Signal", lambda alert: alert.get_signal_display()),
            ("Suggested severity", lambda alert: alert.get_suggested_severity_display() or EMPTY),
        ],
    )


def remediation_table(incident: Incident) -> ReportTable:
    return _objects_table(
        title="Remediation tasks",
        css_class="remediation",
        objects=incident.remediation_tasks.select_related("owner").order_by("due_date", "id"),
        columns=[
            ("Title", lambda task: task.title),
            ("Owner", lambda task: _username(task.owner)),
            ("Due", lambda task: task.due_date.isoformat() if task.due_date else EMPTY),
            ("Status", lambda task: task.get_status_display()),
            ("Tracker key", lambda task: task.tracker_key or EMPTY),
        ],
    )


def history_table(incident: Incident) -> ReportTable:
    """List every recorded change to the incident and its actions, oldest first."""
    incident_records = list(
        incident.history.select_related("history_user").order_by("history_date", "history_id")
    )
    action_records = list(
        Action.history.filter(incident_id=incident.pk)
        .select_related("history_user")
        .order_by("id", "history_date", "history_id")
    )
    lookups = load_history_lookups([*incident_records, *action_records])

    dated_rows: list[tuple[dt.datetime, tuple[str, ...]]] = []
    dated_rows.extend(
        _history_rows(incident_records, lookups, subject=lambda r: f"Incident {r.key}")
    )
    for _, records in groupby(action_records, key=lambda record: record.id):
        dated_rows.extend(
            _history_rows(list(records), lookups, subject=lambda r: f"Action {r.title}")
        )
    # A stable sort keeps the order of changes recorded at the same instant.
    dated_rows.sort(key=lambda dated_row: dated_row[0])

    return ReportTable(
        title="Audit history",
        columns=("Time (UTC)", "Record", "Actor", "Field", "Old value", "New value"),
        rows=[row for _, row in dated_rows],
        css_class="history",
    )


def _history_rows(
    records: list, lookups: HistoryLookups, subject
) -> Iterator[tuple[dt.datetime, tuple[str, ...]]]:
    """Yield one row per changed field between consecutive records of one object."""
    previous = None
    for record in records:
        time = format_time(record.history_date)
        actor = history_actor_label(record)
        if record.history_type == "+":
            changes = [HistoryChange(field="Created", old=EMPTY, new=EMPTY)]
        elif record.history_type == "-":
            changes = [HistoryChange(field="Deleted", old=EMPTY, new=EMPTY)]
        elif previous is None:
            # History began after the object was created: nothing to compare with.
            changes = [HistoryChange(field="First recorded", old=EMPTY, new=EMPTY)]
        else:
            changes = record_changes(record, previous, lookups)
        for change in changes:
            row = (time, subject(record), actor, change.field, change.old, change.new)
            yield record.history_date, row
        previous = record
