import logging
from collections.abc import Iterable
from datetime import date

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from incidents.actors import Actor
from incidents.audit import acting_as
from incidents.choices import TimelineKind
from incidents.models import Drill, DrillReminder, Incident
from incidents.services.fields import reject_unknown_fields
from incidents.services.timeline import timeline_record

logger = logging.getLogger(__name__)

DRILL_FIELDS = {"scenario", "held_on", "findings", "follow_ups", "incident"}


def _mark_drill_incident(incident: Incident, actor: Actor) -> None:
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.is_drill:
        return
    incident.is_drill = True
    incident.save()
    timeline_record(
        incident=incident,
        actor=actor,
        kind=TimelineKind.UPDATED,
        text="Marked as a drill: left out of the response metrics",
        data={"fields": ["is_drill"]},
    )


def drill_record(
    *,
    actor: Actor,
    scenario: str,
    held_on: date,
    participants: Iterable[AbstractBaseUser] = (),
    findings: str = "",
    follow_ups: str = "",
    incident: Incident | None = None,
) -> Drill:
    """Record a drill; its incident, if any, is marked as a drill."""
    drill = Drill(
        scenario=scenario.strip(),
        held_on=held_on,
        findings=findings,
        follow_ups=follow_ups,
        incident=incident,
    )
    drill.full_clean()
    with transaction.atomic(), acting_as(actor):
        drill.save()
        drill.participants.set(participants)
        if incident is not None:
            _mark_drill_incident(incident, actor)
    return drill


def drill_update(
    *,
    drill: Drill,
    actor: Actor,
    participants: Iterable[AbstractBaseUser] | None = None,
    **fields,
) -> Drill:
    reject_unknown_fields(fields, DRILL_FIELDS, on="a drill")
    with transaction.atomic(), acting_as(actor):
        drill = Drill.objects.select_for_update().get(pk=drill.pk)
        for name, value in fields.items():
            setattr(drill, name, value)
        drill.full_clean()
        drill.save()
        if participants is not None:
            drill.participants.set(participants)
        if drill.incident is not None:
            _mark_drill_incident(drill.incident, actor)
    return drill


def _month_after(day: date) -> date:
    """Return the same day one calendar month later, clamped to the month's last day."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    raise AssertionError("every month has 28 days")


def drill_reminder_check(*, today: date | None = None) -> DrillReminder | None:
    """Remind once per calendar month while a month has passed since the last drill.

    Returns the reminder sent now, or None when no drill is due or this month's reminder
    already went out. With no drill ever recorded, a drill is due at once.
    """
    today = today or timezone.localdate()
    last = Drill.objects.filter(held_on__lte=today).aggregate(last=Max("held_on"))["last"]
    if last is not None and today < _month_after(last):
        return None

    month = today.replace(day=1)
    if DrillReminder.objects.filter(month=month).exists():
        return None
    recipients = list(settings.DRILL_REMINDER_RECIPIENTS)
    since = f"since {last:%d %B %Y}" if last else "yet"
    try:
        with transaction.atomic(), acting_as(Actor.for_integration("clock")):
            reminder = DrillReminder(month=month, last_drill_on=last, recipients=recipients)
            reminder.full_clean(validate_unique=False)
            reminder.save()
            if recipients:
                send_mail(
                    subject="No incident drill held for a month",
                    message=f"No incident drill has been held {since}: schedule one this month.",
                    from_email=None,
                    recipient_list=recipients,
                )
    except IntegrityError:
        # A concurrent check stored this month's reminder first.
        return None
    logger.info("Sent the drill reminder for %s (last drill: %s)", month, last)
    return reminder
