"""Outbox rows for the changes recorded on an incident's timeline.

`timeline_entry_recorded` is called by `incidents.services.timeline_record` inside the
transaction that records the entry, so the rows commit or roll back with the change.
"""

from django.conf import settings

from incidents.choices import Status, TimelineKind
from incidents.models import Incident, TimelineEntry
from integrations import pagerduty, slack
from integrations.models import OutboxMessage, Target
from integrations.outbox import outbox_write

# Entries the integrations record themselves about what they sent: posting them to the
# war room would post about posting.
NOT_POSTED_KINDS = frozenset({TimelineKind.NOTIFICATION})
ALERT_STATES = {"trigger": "triggered", "acknowledge": "acknowledged", "resolve": "resolved"}
# The only entries that can trigger, acknowledge or resolve the PagerDuty alert.
PAGERDUTY_EVENT_KINDS = frozenset(
    {TimelineKind.CREATED, TimelineKind.SEVERITY, TimelineKind.STATUS}
)


def timeline_entry_recorded(*, entry: TimelineEntry) -> None:
    incident = entry.incident
    _queue_pagerduty_event(incident, entry)
    _queue_war_room_post(incident, entry)
    if entry.kind == TimelineKind.STATUS and entry.data.get("to") == Status.CLOSED:
        outbox_write(
            target=Target.GOOGLE_DRIVE,
            operation="upload_report",
            payload={"incident": incident.key},
            idempotency_key=f"google_drive:{incident.key}:final-report",
            incident=incident,
            ordering_key=f"google_drive:{incident.key}",
        )


def pagerduty_alert_state(incident: Incident) -> tuple[str | None, int]:
    """Return the state of the incident's PagerDuty alert and how many triggers were sent.

    The state follows the last event written: None before any, else triggered,
    acknowledged or resolved.
    """
    events = OutboxMessage.objects.filter(
        incident=incident, target=Target.PAGERDUTY, operation__in=pagerduty.EVENT_ACTIONS
    )
    last = events.order_by("-pk").values_list("operation", flat=True).first()
    triggers = events.filter(operation="trigger").count()
    return (ALERT_STATES[last] if last else None), triggers


def _pagerduty_action(incident: Incident, entry: TimelineEntry, state: str | None) -> str | None:
    pages = incident.severity in settings.PAGERDUTY_TRIGGER_SEVERITIES
    alert_open = state in ("triggered", "acknowledged")
    # Integrations act under their target's name, as the outbox does.
    if entry.kind == TimelineKind.CREATED and entry.actor_integration == Target.PAGERDUTY:
        # Opened from a PagerDuty incident, so on-call is already paged. A trigger of our
        # own would page them again, for a second alert that nobody acknowledges.
        return None
    if (
        entry.kind == TimelineKind.SEVERITY
        and state is None
        and incident.pagerduty_incidents.exists()
    ):
        # Raised into the paging range, but a PagerDuty incident of its own already pages.
        return None
    if entry.kind in (TimelineKind.CREATED, TimelineKind.SEVERITY):
        return "trigger" if pages and incident.is_open and not alert_open else None
    if entry.kind != TimelineKind.STATUS:
        return None
    previous, current = entry.data.get("from"), entry.data.get("to")
    if current in (Status.RESOLVED, Status.CLOSED):
        return "resolve" if alert_open else None
    if previous == Status.RESOLVED:
        # Reopened: the same dedup_key after a resolve opens a new alert, on purpose.
        return "trigger" if pages and not alert_open else None
    if previous == Status.DETECTED and state == "triggered":
        return "acknowledge"
    return None


def _queue_pagerduty_event(incident: Incident, entry: TimelineEntry) -> None:
    if entry.kind not in PAGERDUTY_EVENT_KINDS:
        # Notes, alerts and clock entries are the most frequent: they skip the queries.
        return
    state, triggers = pagerduty_alert_state(incident)
    action = _pagerduty_action(incident, entry, state)
    if action is None:
        return
    if action == "trigger":
        triggers += 1
        event = pagerduty.trigger_event(incident)
    else:
        event = pagerduty.status_event(incident, action)
    outbox_write(
        target=Target.PAGERDUTY,
        operation=action,
        payload=event,
        # One row per action of each alert: the n-th trigger and what follows it.
        idempotency_key=f"pagerduty:{incident.key}:{triggers}:{action}",
        incident=incident,
        ordering_key=f"pagerduty:{incident.key}",
    )


def war_room_text(incident: Incident, entry: TimelineEntry) -> str:
    actor = slack.escape(entry.actor_label)
    return f"*{entry.get_kind_display()}* ({actor}): {slack.escape(entry.text)}"


def thread_parent_text(incident: Incident) -> str:
    return (
        f":rotating_light: *{incident.key}* {incident.severity} {incident.category}: "
        f"{slack.escape(incident.title)}\nStatus: {incident.get_status_display()}"
    )


def _queue_war_room_post(incident: Incident, entry: TimelineEntry) -> None:
    if entry.kind in NOT_POSTED_KINDS:
        return
    channel = settings.SLACK_WARROOM_CHANNEL
    ordering_key = f"slack:{channel}:{incident.key}"
    if entry.kind == TimelineKind.CREATED:
        payload = {
            "channel": channel,
            "text": thread_parent_text(incident),
            "thread": slack.THREAD_PARENT,
        }
    else:
        payload = {
            "channel": channel,
            "text": war_room_text(incident, entry),
            "thread": slack.THREAD_REPLY,
        }
    outbox_write(
        target=Target.SLACK,
        operation="post_message",
        payload=payload,
        idempotency_key=f"slack:{channel}:entry:{entry.pk}",
        incident=incident,
        ordering_key=ordering_key,
    )
    if entry.kind in (TimelineKind.STATUS, TimelineKind.SEVERITY):
        outbox_write(
            target=Target.SLACK,
            operation="update_thread_parent",
            payload={"channel": channel, "text": thread_parent_text(incident)},
            idempotency_key=f"slack:{channel}:entry:{entry.pk}:parent",
            incident=incident,
            ordering_key=ordering_key,
        )
