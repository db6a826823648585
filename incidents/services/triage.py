from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents.actors import Actor
from incidents.audit import acting_as
from incidents.choices import ClockKind, Severity, Status, TimelineKind
from incidents.models import Incident, TriageAssessment
from incidents.services.clocks import clock_meet
from incidents.services.incidents import (
    _record_role_change,
    incident_change_severity,
    incident_transition,
)
from incidents.services.timeline import timeline_record
from incidents.triage import TriageAnswers, suggest_severity


def incident_triage(
    *,
    incident: Incident,
    actor: Actor,
    answers: TriageAnswers,
    reason: str,
    severity: str | None = None,
) -> TriageAssessment:
    """Record the triage answers and the level chosen, then move detected to triaged.

    The chosen level may differ from the matrix's suggestion, and without one the
    suggestion is taken. The reason, the suggestion and who decided go on the timeline.
    """
    if severity is not None and severity not in Severity.values:
        raise ValidationError(
            {"severity": f"Unknown severity {severity!r}: use one of {Severity.values}."}
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why this severity was chosen."})

    with transaction.atomic(), acting_as(actor):
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if not incident.is_open:
            raise ValidationError(
                {"status": f"{incident.key} is {incident.status}: only open incidents are triaged."}
            )
        suggested = suggest_severity(answers)
        severity = severity or suggested
        assessment = TriageAssessment(
            incident=incident,
            member_impact=answers.member_impact,
            data_exposure=answers.data_exposure,
            api_p95_ms=answers.api_p95_ms,
            websocket_delivery_ms=answers.websocket_delivery_ms,
            services_affected=answers.services_affected,
            suggested_severity=suggested,
            severity=severity,
            reason=reason,
            decided_by=actor.user,
            decided_by_integration=actor.integration,
            decided_at=timezone.now(),
        )
        assessment.full_clean()
        assessment.save()

        agreement = "as suggested" if suggested == severity else f"matrix suggested {suggested}"
        timeline_record(
            incident=incident,
            actor=actor,
            kind=TimelineKind.TRIAGE,
            text=f"Triaged as {severity} ({agreement}) by {actor.label}: {reason}",
            data={
                "assessment_id": assessment.pk,
                "suggested": suggested,
                "severity": severity,
                "slo_breached": answers.slo_breached,
            },
        )
        if incident.severity != severity:
            incident_change_severity(
                incident=incident, actor=actor, severity=severity, reason=f"Triage: {reason}"
            )
        if incident.status == Status.DETECTED:
            incident_transition(incident=incident, actor=actor, to_status=Status.TRIAGED)
    return assessment


def incident_engage_security_lead(*, incident: Incident, actor: Actor) -> Incident:
    """Record that the security lead acknowledged the incident and is working it.

    Engaged means a user acknowledged as the incident's security lead. With no security
    lead assigned, the acknowledging user takes the role. This meets the SEV0/SEV1
    engagement clock; a second acknowledgement changes nothing.
    """
    user = actor.user
    if user is None:
        raise ValidationError(
            {"security_lead": "Only a person can acknowledge as security lead, not an integration."}
        )
    with transaction.atomic(), acting_as(actor):
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if not incident.is_open:
            raise ValidationError(
                {"security_lead": f"{incident.key} is {incident.status}: it needs no engagement."}
            )
        lead = incident.security_lead
        if lead is not None and lead.pk != user.pk:
            raise ValidationError(
                {
                    "security_lead": f"{lead.get_username()} is the security lead of "
                    f"{incident.key}: hand the role to {user.get_username()} first."
                }
            )
        if lead is None:
            incident.security_lead = user
            incident.save()
            _record_role_change(incident, actor, "security_lead", None, user)

        already = incident.clocks.filter(
            kind=ClockKind.SECURITY_ENGAGEMENT, met_at__isnull=False
        ).exists()
        if already:
            return incident
        now = timezone.now()
        clock = clock_meet(
            incident=incident,
            actor=actor,
            kind=ClockKind.SECURITY_ENGAGEMENT,
            at=now,
            text=f"Security lead {user.get_username()} engaged",
        )
        if clock is None:
            timeline_record(
                incident=incident,
                actor=actor,
                kind=TimelineKind.ROLE,
                text=f"Security lead {user.get_username()} engaged",
                data={"role": "security_lead", "engaged": True},
            )
    return incident
