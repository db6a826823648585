import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction

from incidents.actors import Actor
from incidents.audit import acting_as
from incidents.choices import TimelineKind

logger = logging.getLogger(__name__)


def enqueue_on_commit(task, *args) -> None:
    """Queue a task once the current transaction commits, so it finds its rows."""
    transaction.on_commit(lambda: task.delay(*args))


@shared_task
def notify_incident_opened_task(incident_id: int, actor: dict) -> int:
    """Tell the war room that an incident opened; returns the timeline entry's id.

    Until the chat integration is configured this records the message it would send.
    """
    from incidents.models import Incident
    from incidents.services.timeline import timeline_record

    incident = Incident.objects.get(pk=incident_id)
    requested_by = Actor.from_task_argument(actor)
    message = f"{incident.key} opened: {incident.severity} {incident.category} – {incident.title}"
    with acting_as(requested_by), transaction.atomic():
        entry = timeline_record(
            incident=incident,
            actor=Actor.for_integration("notifications"),
            kind=TimelineKind.NOTIFICATION,
            text=f"Recorded, not sent: {settings.SLACK_WARROOM_CHANNEL} \u2190 {message}",
            data={
                "channel": settings.SLACK_WARROOM_CHANNEL,
                "message": message,
                "requested_by": requested_by.label,
                "dry_run": True,
            },
        )
    logger.info("Recorded the opening notification for %s", incident.key)
    return entry.pk


@shared_task
def sweep_clocks_task() -> int:
    """Remind and act on every response clock that is due; returns how many were due.

    Beat runs this every minute. Each clock is processed under its own row lock, so
    overlapping runs remind and breach once.
    """
    from incidents.services.clocks import clock_sweep

    return clock_sweep()


@shared_task
def check_drill_due_task() -> int | None:
    """Send the monthly drill reminder if one is due; returns its id, or None."""
    from incidents.services.drills import drill_reminder_check

    reminder = drill_reminder_check()
    return reminder.pk if reminder else None
