"""The response clocks: starting, resetting, stopping and sweeping them.

Lifecycle services start and stop clocks inside their own transactions. The periodic
sweep (`clock_sweep`) reminds and acts on due clocks. Every effect is taken under a row
lock on the clock and recorded on the clock itself, so a sweep that runs twice, or two
sweeps at once, remind and breach once.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from incidents.actors import Actor
from incidents.audit import acting_as
from incidents.business_days import BusinessCalendar, start_of_day
from incidents.choices import (
    HIGH_SEVERITIES,
    RETROSPECTIVE_SEVERITIES,
    ClockKind,
    Status,
    TimelineKind,
)
from incidents.models import Clock, Incident
from incidents.services.escalation import page_security_lead, remind_user
from incidents.services.timeline import timeline_record

logger = logging.getLogger(__name__)

CLOCK_ACTOR = Actor.for_integration("clock")


def _format_time(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")


def _reminder_times(clock: Clock) -> list[datetime]:
    """Return the times of every reminder the clock sends before it is due, in order."""
    if clock.kind == ClockKind.SECURITY_ENGAGEMENT:
        lead = settings.SECURITY_ENGAGEMENT_MINUTES - settings.SECURITY_ENGAGEMENT_REMINDER_MINUTES
        return [clock.due_at - timedelta(minutes=lead)]
    if clock.kind == ClockKind.UPDATE:
        return [clock.due_at - timedelta(minutes=settings.UPDATE_REMINDER_LEAD_MINUTES)]
    if clock.kind == ClockKind.RETROSPECTIVE:
        due_day = timezone.localdate(clock.due_at - timedelta(seconds=1))
        calendar = BusinessCalendar(due_day)
        offsets = sorted(set(settings.RETROSPECTIVE_REMINDER_BUSINESS_DAYS), reverse=True)
        return [start_of_day(calendar.shift(due_day, -days)) for days in offsets]
    return []


def _next_reminder(clock: Clock, after: datetime | None) -> datetime | None:
    for moment in _reminder_times(clock):
        if moment < clock.due_at and (after is None or moment > after):
            return moment
    return None


def clock_start(
    *, incident: Incident, actor: Actor, kind: str, due_at: datetime, at: datetime
) -> Clock:
    """Start a clock, or restart the incident's clock of this kind from `at`.

    A restart keeps the breach count, so repeated breaches stay visible.
    """
    clock = Clock.objects.select_for_update().filter(incident=incident, kind=kind).first()
    if clock is None:
        clock = Clock(incident=incident, kind=kind)
    clock.started_at = at
    clock.due_at = due_at
    clock.reminded_at = None
    clock.met_at = None
    clock.breached_at = None
    clock.stopped_at = None
    clock.stop_reason = ""
    clock.remind_at = _next_reminder(clock, after=None)
    clock.full_clean(validate_constraints=False)
    clock.save()
    timeline_record(
        incident=incident,
        actor=actor,
        kind=TimelineKind.CLOCK,
        text=f"{clock.get_kind_display()} clock started: due {_format_time(due_at)}",
        data={"clock": kind, "due_at": due_at.isoformat()},
        at=at,
    )
    return clock


def _running_clock(incident: Incident, kind: str) -> Clock | None:
    return Clock.objects.select_for_update().running().filter(incident=incident, kind=kind).first()


def _record_breach(clock: Clock, actor: Actor, text: str) -> None:
    clock.breached_at = clock.due_at
    clock.breach_count += 1
    timeline_record(
        incident=clock.incident,
        actor=actor,
        kind=TimelineKind.CLOCK,
        text=text,
        data={"clock": clock.kind, "due_at": clock.due_at.isoformat(), "breached": True},
    )


def clock_stop(
    *, incident: Incident, actor: Actor, kind: str, at: datetime, reason: str
) -> Clock | None:
    """Stop a running clock because it no longer applies.

    A deadline that passed before the stop, but that the sweep had not reached yet, is
    still recorded as breached.
    """
    clock = _running_clock(incident, kind)
    if clock is None:
        return None
    if clock.breached_at is None and clock.due_at <= at and clock.kind != ClockKind.MONITORING:
        _record_breach(clock, actor, f"{clock.get_kind_display()} clock breached")
    clock.stopped_at = at
    clock.stop_reason = reason[:300]
    clock.remind_at = None
    clock.save()
    timeline_record(
        incident=incident,
        actor=actor,
        kind=TimelineKind.CLOCK,
        text=f"{clock.get_kind_display()} clock stopped: {reason}",
        data={"clock": kind, "stopped": True},
        at=at,
    )
    return clock


def clock_meet(
    *, incident: Incident, actor: Actor, kind: str, at: datetime, text: str
) -> Clock | None:
    """Mark a running clock as met at `at`; a breached clock becomes met late."""
    clock = _running_clock(incident, kind)
    if clock is None:
        return None
    clock.met_at = at
    clock.remind_at = None
    clock.save()
    late = clock.breached_at is not None
    timeline_record(
        incident=incident,
        actor=actor,
        kind=TimelineKind.CLOCK,
        text=f"{text} (late: due {_format_time(clock.due_at)})" if late else text,
        data={"clock": kind, "met_at": at.isoformat(), "late": late},
        at=at,
    )
    return clock


def clock_reset_update(*, incident: Incident, at: datetime) -> Clock | None:
    """Restart the update clock's 30 minutes from an update sent at `at`.

    A sent update also clears a missed update's breach; the breach count keeps it.
    """
    clock = _running_clock(incident, ClockKind.UPDATE)
    if clock is None:
        return None
    clock.started_at = at
    clock.due_at = at + timedelta(minutes=settings.UPDATE_INTERVAL_MINUTES)
    clock.breached_at = None
    clock.reminded_at = None
    clock.remind_at = _next_reminder(clock, after=None)
    clock.save()
    return clock


# Starting and stopping clocks as an incident's status and severity change.


def security_engagement_due(incident: Incident, at: datetime) -> datetime:
    return at + timedelta(minutes=settings.SECURITY_ENGAGEMENT_MINUTES)


def clocks_after_open(*, incident: Incident, actor: Actor) -> None:
    if incident.severity in HIGH_SEVERITIES:
        clock_start(
            incident=incident,
            actor=actor,
            kind=ClockKind.SECURITY_ENGAGEMENT,
            due_at=security_engagement_due(incident, incident.detected_at),
            at=incident.detected_at,
        )


def clocks_after_severity_change(
    *, incident: Incident, actor: Actor, previous: str, at: datetime
) -> None:
    """Start the engagement clock on a raise to SEV0 or SEV1; stop it on a lowering.

    A raise gives the security lead the full 15 minutes from the raise, because the rule could
    not apply before the severity was set.
    """
    is_high = incident.severity in HIGH_SEVERITIES
    was_high = previous in HIGH_SEVERITIES
    if is_high and not was_high:
        existing = Clock.objects.filter(
            incident=incident, kind=ClockKind.SECURITY_ENGAGEMENT, met_at__isnull=False
        )
        if not existing.exists():
            clock_start(
                incident=incident,
                actor=actor,
                kind=ClockKind.SECURITY_ENGAGEMENT,
                due_at=security_engagement_due(incident, at),
                at=at,
            )
    elif was_high and not is_high:
        clock_stop(
            incident=incident,
            actor=actor,
            kind=ClockKind.SECURITY_ENGAGEMENT,
            at=at,
            reason=f"severity lowered to {incident.severity}",
        )


def clocks_after_transition(
    *,
    incident: Incident,
    actor: Actor,
    from_status: str,
    to_status: str,
    at: datetime,
    override_reason: str = "",
) -> None:
    if from_status == Status.MITIGATING:
        clock_stop(
            incident=incident,
            actor=actor,
            kind=ClockKind.UPDATE,
            at=at,
            reason=f"incident moved to {to_status}",
        )
    if from_status == Status.MONITORING and to_status != Status.RESOLVED:
        clock_stop(
            incident=incident,
            actor=actor,
            kind=ClockKind.MONITORING,
            at=at,
            reason=f"incident moved back to {to_status}",
        )

    if to_status == Status.MITIGATING:
        if from_status == Status.RESOLVED:
            clock_stop(
                incident=incident,
                actor=actor,
                kind=ClockKind.RETROSPECTIVE,
                at=at,
                reason="incident reopened",
            )
        clock_start(
            incident=incident,
            actor=actor,
            kind=ClockKind.UPDATE,
            due_at=at + timedelta(minutes=settings.UPDATE_INTERVAL_MINUTES),
            at=at,
        )
    elif to_status == Status.MONITORING:
        clock_start(
            incident=incident,
            actor=actor,
            kind=ClockKind.MONITORING,
            due_at=at + timedelta(hours=settings.MONITORING_WINDOW_HOURS),
            at=at,
        )
    elif to_status == Status.RESOLVED:
        _finish_monitoring(incident, actor, at, override_reason)
        clock_stop(
            incident=incident,
            actor=actor,
            kind=ClockKind.SECURITY_ENGAGEMENT,
            at=at,
            reason="incident resolved",
        )
        if incident.severity in RETROSPECTIVE_SEVERITIES:
            # Imported here because the retrospective services start clocks themselves.
            from incidents.services.retrospectives import retrospective_schedule

            retrospective_schedule(incident=incident, actor=actor, at=at)
    elif to_status == Status.CLOSED:
        for kind in ClockKind.values:
            clock_stop(incident=incident, actor=actor, kind=kind, at=at, reason="incident closed")


def _finish_monitoring(incident: Incident, actor: Actor, at: datetime, override: str) -> None:
    clock = _running_clock(incident, ClockKind.MONITORING)
    if clock is None:
        return
    if clock.due_at <= at:
        _complete_monitoring(clock, actor)
        clock.save()
        return
    clock_stop(
        incident=incident,
        actor=actor,
        kind=ClockKind.MONITORING,
        at=at,
        reason=f"resolved early by override: {override}",
    )


def _complete_monitoring(clock: Clock, actor: Actor) -> None:
    clock.met_at = clock.due_at
    clock.remind_at = None
    timeline_record(
        incident=clock.incident,
        actor=actor,
        kind=TimelineKind.CLOCK,
        text=(
            f"Monitoring window complete at {_format_time(clock.due_at)}: "
            "the incident may be resolved"
        ),
        data={"clock": clock.kind, "met_at": clock.due_at.isoformat()},
        at=clock.due_at,
    )


# The sweep.


def _send_reminder(clock: Clock, actor: Actor) -> None:
    incident = clock.incident
    due = _format_time(clock.due_at)
    if clock.kind == ClockKind.SECURITY_ENGAGEMENT:
        user, role = incident.commander, "incident commander"
        message = f"The security lead has not acknowledged yet; they will be paged at {due}"
    elif clock.kind == ClockKind.UPDATE:
        user, role = incident.communications_lead, "communications lead"
        if user is None:
            user, role = incident.commander, "incident commander"
        message = f"A stakeholder update is due by {due}"
    else:
        retrospective = getattr(incident, "retrospective", None)
        user, role = incident.commander, "incident commander"
        if retrospective is not None and retrospective.facilitator is not None:
            user, role = retrospective.facilitator, "retrospective facilitator"
        due_day = timezone.localdate(clock.due_at - timedelta(seconds=1))
        message = f"The retrospective is due by the end of {due_day:%A %d %B %Y}"
    remind_user(incident=incident, actor=actor, user=user, role=role, message=message)


def _act_on_due(clock: Clock, actor: Actor) -> None:
    incident = clock.incident
    if clock.kind == ClockKind.MONITORING:
        _complete_monitoring(clock, actor)
    elif clock.kind == ClockKind.SECURITY_ENGAGEMENT:
        minutes = settings.SECURITY_ENGAGEMENT_MINUTES
        _record_breach(
            clock,
            actor,
            f"Security lead engagement breached: not engaged within {minutes} minutes",
        )
        page_security_lead(
            incident=incident,
            actor=actor,
            reason=f"{incident.key} {incident.severity}: no security lead engaged "
            f"within {minutes} minutes",
        )
    elif clock.kind == ClockKind.UPDATE:
        _record_breach(
            clock, actor, f"Stakeholder update missed: one was due at {_format_time(clock.due_at)}"
        )
    else:
        due_day = timezone.localdate(clock.due_at - timedelta(seconds=1))
        _record_breach(clock, actor, f"Retrospective overdue: it was due by {due_day:%Y-%m-%d}")


def clock_process(*, clock_id: int, now: datetime | None = None) -> Clock | None:
    """Send a clock's due reminder and act on its deadline, each at most once."""
    now = now or timezone.now()
    with transaction.atomic(), acting_as(CLOCK_ACTOR):
        clock = Clock.objects.select_for_update().running().filter(pk=clock_id).first()
        if clock is None:
            return None
        changed = False

        if clock.remind_at is not None and clock.remind_at <= now:
            # A sweep that runs after the deadline sends no reminder: the breach replaces it.
            if clock.due_at > now and clock.breached_at is None:
                _send_reminder(clock, CLOCK_ACTOR)
                clock.reminded_at = now
                clock.reminder_count += 1
            clock.remind_at = _next_reminder(clock, after=now)
            changed = True

        if clock.due_at <= now and clock.breached_at is None:
            _act_on_due(clock, CLOCK_ACTOR)
            clock.remind_at = None
            changed = True

        if changed:
            clock.save()
    return clock


def clocks_due(now: datetime) -> list[int]:
    due = Clock.objects.running().filter(
        Q(remind_at__lte=now) | Q(due_at__lte=now, breached_at__isnull=True)
    )
    return list(due.order_by("due_at", "id").values_list("pk", flat=True))


def clock_sweep(*, now: datetime | None = None) -> int:
    """Process every clock with a reminder or deadline due; return how many were due."""
    now = now or timezone.now()
    clock_ids = clocks_due(now)
    for clock_id in clock_ids:
        try:
            clock_process(clock_id=clock_id, now=now)
        except Exception:
            # One broken clock must not hold up the others; the next sweep retries it.
            logger.exception("Failed to process clock %s", clock_id)
    if clock_ids:
        logger.info("Swept %d due clocks", len(clock_ids))
    return len(clock_ids)
