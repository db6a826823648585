"""Field-by-field changes between two historical records, formatted for reading.

The admin's history pages and the PDF report's audit history both list changes this
way, so a reader sees the same field names and values in each.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models

from incidents.models import Service

EMPTY = "—"

# Fields left out of the audit history: the row id, and timestamps that every save or
# the first save sets.
HISTORY_IGNORED_FIELDS = frozenset({"id", "created_at", "updated_at"})


@dataclass(frozen=True)
class HistoryChange:
    field: str
    old: str
    new: str


@dataclass
class HistoryLookups:
    """Names for the ids that historical rows store, loaded once per page or report."""

    usernames: dict[int, str] = field(default_factory=dict)
    service_names: dict[int, str] = field(default_factory=dict)


def format_time(value: dt.datetime | None) -> str:
    if value is None:
        return EMPTY
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def history_actor_label(record) -> str:
    if record.history_user_id:
        return record.history_user.get_username()
    return record.history_integration or "unknown"


def record_changes(new, old, lookups: HistoryLookups | None = None) -> list[HistoryChange]:
    """Compare two historical records of one object, with values formatted for reading."""
    lookups = lookups or load_history_lookups([old, new])
    delta = new.diff_against(old, excluded_fields=HISTORY_IGNORED_FIELDS)
    changed = {change.field: (change.old, change.new) for change in delta.changes}

    # diff_against reads values through model_to_dict, which skips fields declared
    # editable=False (django-simple-history 3.13), such as an incident's status and its
    # lifecycle times. Those fields are compared here.
    for model_field in new.tracked_fields:
        if model_field.editable or model_field.name in HISTORY_IGNORED_FIELDS:
            continue
        old_value = getattr(old, model_field.attname)
        new_value = getattr(new, model_field.attname)
        if old_value != new_value:
            changed[model_field.name] = (old_value, new_value)

    model = new.instance_type
    return [
        HistoryChange(
            field=str(model._meta.get_field(name).verbose_name).capitalize(),
            old=_format_value(model, name, old_value, lookups),
            new=_format_value(model, name, new_value, lookups),
        )
        for name, (old_value, new_value) in sorted(changed.items())
    ]


def load_history_lookups(records: Iterable) -> HistoryLookups:
    user_ids: set[int] = set()
    for record in records:
        for model_field in record.tracked_fields:
            if _is_user_field(model_field):
                value = getattr(record, model_field.attname)
                if value is not None:
                    user_ids.add(value)
    users = get_user_model().objects.filter(pk__in=user_ids)
    return HistoryLookups(
        usernames={user.pk: user.get_username() for user in users},
        service_names=dict(Service.objects.values_list("pk", "name")),
    )


def _is_user_field(model_field: models.Field) -> bool:
    return isinstance(model_field, models.ForeignKey) and (
        model_field.related_model == get_user_model()
    )


def _format_value(model: type[models.Model], name: str, value: Any, lookups: HistoryLookups) -> str:
    model_field = model._meta.get_field(name)
    if isinstance(model_field, models.ManyToManyField):
        # diff_against returns the rows of the through table, such as
        # {"incident": 1, "service": 3}.
        # The only many-to-many field under history is Incident.affected_services.
        target = model_field.m2m_reverse_field_name()
        names = [lookups.service_names.get(row[target], str(row[target])) for row in value]
        return ", ".join(names) or EMPTY
    if value is None or value == "":
        return EMPTY
    if _is_user_field(model_field):
        return lookups.usernames.get(value, f"user {value}")
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dt.datetime):
        return format_time(value) + " UTC"
    return str(value)
