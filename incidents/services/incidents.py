import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents import lifecycle
from incidents.actors import Actor
from incidents.audit import acting_as
from incidents.choices import Severity, Status, TimelineKind
from incidents.models import Incident, IncidentKeyCounter, Service
from incidents.services.clocks import (
    clocks_after_open,
    clocks_after_severity_change,
    clocks_after_transition,
)
from incidents.services.timeline import timeline_record

logger = logging.getLogger(__name__)

ROLE_FIELDS = {
    "commander": "incident commander",
    "security_lead": "security lead",
    "communications_lead": "communications lead",
    "scribe": "scribe",
}
EDITABLE_FIELDS = {"title", "summary", "category", "private", *ROLE_FIELDS}


# The length of django-simple-history's history_change_reason column.
HISTORY_REASON_MAX = 100
# How far ahead of this server's clock a reported detection time may be.
DETECTION_CLOCK_SKEW = timedelta(minutes=5)


def _format_key(year: int, number: int) -> str:
    return f"INC-{year:04d}-{number:04d}"


def incident_create(
    *,
    actor: Actor,
    title: str,
    category: str,
    severity: str,
    summary: str = "",
    services: Iterable[Service] = (),
    private: bool = False,
    commander: AbstractBaseUser | None = None,
    security_lead: AbstractBaseUser | None = None,
    detected_at: datetime | None = None,
    is_drill: bool = False,
) -> Incident:
    """Open an incident with the next key of its detection year, and start its clocks."""
    now = timezone.now()
    if detected_at is not None and detected_at > now + DETECTION_CLOCK_SKEW:
        # The key takes the detection year and the clocks start from it, so a future
        # time would open the incident in a later year with clocks not yet running.
        raise ValidationError(
            {
                "detected_at": f"{detected_at.isoformat()} is in the future: give the time "
                "the incident was detected, now at the latest."
            }
        )
    incident = Incident(
        title=title,
        summary=summary,
        category=category,
        severity=severity,
        private=private,
        commander=commander,
        security_lead=security_lead,
        detected_at=detected_at or now,
        is_drill=is_drill,
    )
    incident.full_clean(exclude=["key"])

    with transaction.atomic(), acting_as(actor):
        year = incident.detected_at.year
        incident.key = _format_key(year, IncidentKeyCounter.next_number(year))
        incident.save()
        incident.affected_services.set(services)
        timeline_record(
            incident=incident,
            actor=actor,
            kind=TimelineKind.CREATED,
            text=f"{incident.key} opened as {incident.severity} {incident.category}: {title}",
            data={"severity": severity, "category": category},
            at=incident.detected_at,
        )
        clocks_after_open(incident=incident, actor=actor)

    logger.info("Opened incident %s (%s %s)", incident.key, severity, category)
    return incident


def incident_update(
    *,
    incident: Incident,
    actor: Actor,
    services: Iterable[Service] | None = None,
    **fields,
) -> Incident:
    """Edit an incident's details and roles. Status and severity have their own services."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        name = sorted(unknown)[0]
        raise ValidationError({name: f"{name} cannot be edited here."})

    with transaction.atomic(), acting_as(actor):
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        changed = [name for name, value in fields.items() if getattr(incident, name) != value]
        old_roles = {name: getattr(incident, name) for name in ROLE_FIELDS}
        for name in changed:
            setattr(incident, name, fields[name])
        incident.full_clean()

        old_services = set(incident.affected_services.all())
        services_changed = services is not None and set(services) != old_services
        if not changed and not services_changed:
            return incident

        incident.save()
        if services_changed:
            incident.affected_services.set(services)
            changed.append("affected_services")

        for name in changed:
            if name in ROLE_FIELDS:
                _record_role_change(incident, actor, name, old_roles[name], getattr(incident, name))
        details = [name for name in changed if name not in ROLE_FIELDS]
        if details:
            timeline_record(
                incident=incident,
                actor=actor,
                kind=TimelineKind.UPDATED,
                text="Edited " + ", ".join(name.replace("_", " ") for name in details),
                data={"fields": details},
            )
    return incident


def _record_role_change(incident, actor, field, old, new) -> None:
    role = ROLE_FIELDS[field]
    if new is None:
        text = f"{old.get_username()} is no longer {role}"
    elif old is None:
        text = f"{new.get_username()} assigned as {role}"
    else:
        text = f"{role.capitalize()} handed over from {old.get_username()} to {new.get_username()}"
    timeline_record(
        incident=incident,
        actor=actor,
        kind=TimelineKind.ROLE,
        text=text,
        data={"role": field, "from": old.pk if old else None, "to": new.pk if new else None},
    )


def _stamp_lifecycle_times(incident: Incident, target: str, at: datetime) -> None:
    if target != Status.DETECTED and incident.acknowledged_at is None:
        incident.acknowledged_at = at
    if target in (Status.MONITORING, Status.RESOLVED) and incident.mitigated_at is None:
        incident.mitigated_at = at
    if target == Status.RESOLVED:
        incident.resolved_at = at
    if target == Status.CLOSED:
        incident.closed_at = at
    if target == Status.MITIGATING and incident.status == Status.RESOLVED:
        # Reopened: the next resolution is the one that counts for MTTR.
        incident.resolved_at = None
        incident.mitigated_at = None


def incident_transition(
    *,
    incident: Incident,
    actor: Actor,
    to_status: str,
    note: str = "",
    at: datetime | None = None,
    override_reason: str = "",
) -> Incident:
    """Move an incident to another status, if the lifecycle and its gates allow it.

    `override_reason` resolves an incident before its monitoring window ends; the reason
    goes on the timeline.
    """
    at = at or timezone.now()
    override_reason = override_reason.strip()
    with transaction.atomic(), acting_as(actor):
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        from_status = incident.status
        lifecycle.check_gates(incident, target=to_status, at=at, override_reason=override_reason)

        text = f"Status changed from {from_status} to {to_status}"
        if note:
            text = f"{text}: {note}"
        data = {"from": from_status, "to": to_status}
        if override_reason and to_status == Status.RESOLVED:
            text = f"{text} (override: {override_reason})"
            data["override_reason"] = override_reason

        _stamp_lifecycle_times(incident, to_status, at)
        incident.status = to_status
        # The audit history shows why, next to what changed.
        incident._change_reason = text[:HISTORY_REASON_MAX]
        incident.save()

        timeline_record(
            incident=incident,
            actor=actor,
            kind=TimelineKind.STATUS,
            text=text,
            data=data,
            at=at,
        )
        clocks_after_transition(
            incident=incident,
            actor=actor,
            from_status=from_status,
            to_status=to_status,
            at=at,
            override_reason=override_reason,
        )

    logger.info("Incident %s moved from %s to %s", incident.key, from_status, to_status)
    return incident


def incident_change_severity(
    *, incident: Incident, actor: Actor, severity: str, reason: str
) -> Incident:
    """Set a new severity level; the reason goes on the timeline."""
    if severity not in Severity.values:
        raise ValidationError(
            {"severity": f"Unknown severity {severity!r}: use one of {Severity.values}."}
        )
    if not reason or not reason.strip():
        raise ValidationError({"reason": "A severity change needs a reason."})

    with transaction.atomic(), acting_as(actor):
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        previous = incident.severity
        if previous == severity:
            raise ValidationError({"severity": f"{incident.key} is already {severity}."})
        if not incident.is_open:
            raise ValidationError(
                {"severity": f"{incident.key} is {incident.status}: reopen it to change severity."}
            )
        incident.severity = severity
        text = f"Severity changed from {previous} to {severity}: {reason.strip()}"
        incident._change_reason = text[:HISTORY_REASON_MAX]
        incident.save()
        timeline_record(
            incident=incident,
            actor=actor,
            kind=TimelineKind.SEVERITY,
            text=text,
            data={"from": previous, "to": severity, "reason": reason.strip()},
        )
        clocks_after_severity_change(
            incident=incident, actor=actor, previous=previous, at=timezone.now()
        )

    logger.info("Incident %s severity %s -> %s", incident.key, previous, severity)
    return incident
