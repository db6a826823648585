"""Stakeholder updates: drafted, approved, then sent.

Any user may approve a draft, including its author: a lone responder at night must be
able to send an update, and the approval is still an explicit, recorded step with the
approver's name. An integration can draft but never approve. Editing an approved draft
returns it to draft, so what is sent is always what was approved.
"""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.defaultfilters import pluralize
from django.utils import timezone

from incidents.actors import Actor
from incidents.audit import acting_as
from incidents.choices import TimelineKind
from incidents.communications import render_communication, text_to_html
from incidents.models import (
    Communication,
    CommunicationStatus,
    CommunicationTemplate,
    Incident,
)
from incidents.services.clocks import clock_reset_update
from incidents.services.escalation import post_communication_to_slack
from incidents.services.timeline import timeline_record

logger = logging.getLogger(__name__)


def communication_draft(
    *,
    incident: Incident,
    actor: Actor,
    audience: str,
    subject: str,
    body: str,
    template: CommunicationTemplate | None = None,
) -> Communication:
    communication = Communication(
        incident=incident,
        audience=audience,
        subject=subject.strip(),
        body=body.strip(),
        created_by=actor.user,
        template=template,
    )
    communication.full_clean()
    with transaction.atomic(), acting_as(actor):
        communication.save()
        timeline_record(
            incident=incident,
            actor=actor,
            kind=TimelineKind.COMMUNICATION,
            text=f"Update for {communication.get_audience_display().lower()} drafted: "
            f"{communication.subject}",
            data={"communication_id": communication.pk, "status": communication.status},
        )
    return communication


def communication_draft_from_template(
    *, incident: Incident, actor: Actor, template: CommunicationTemplate
) -> Communication:
    """Draft an update from a template rendered with the incident's current data."""
    if not template.active:
        raise ValidationError({"template": f"Template {template.slug!r} is inactive."})
    if template.category and template.category != incident.category:
        raise ValidationError(
            {
                "template": f"Template {template.slug!r} is for {template.category} incidents, "
                f"and {incident.key} is {incident.category}."
            }
        )
    rendered = render_communication(subject=template.subject, body=template.body, incident=incident)
    return communication_draft(
        incident=incident,
        actor=actor,
        audience=template.audience,
        subject=rendered.subject,
        body=rendered.text,
        template=template,
    )


def _locked(communication: Communication) -> Communication:
    return Communication.objects.select_for_update().get(pk=communication.pk)


def communication_update(
    *,
    communication: Communication,
    actor: Actor,
    subject: str | None = None,
    body: str | None = None,
) -> Communication:
    """Edit an unsent update; an approved one goes back to draft."""
    with transaction.atomic(), acting_as(actor):
        communication = _locked(communication)
        if communication.status == CommunicationStatus.SENT:
            raise ValidationError({"status": "A sent update cannot be edited: draft a new one."})
        changed = []
        if subject is not None and subject.strip() != communication.subject:
            communication.subject = subject.strip()
            changed.append("subject")
        if body is not None and body.strip() != communication.body:
            communication.body = body.strip()
            changed.append("body")
        if not changed:
            return communication
        was_approved = communication.status == CommunicationStatus.APPROVED
        communication.status = CommunicationStatus.DRAFT
        communication.approved_by = None
        communication.approved_at = None
        communication.full_clean()
        communication.save()
        text = f"Update {communication.subject!r} edited"
        if was_approved:
            text += "; it needs approval again"
        timeline_record(
            incident=communication.incident,
            actor=actor,
            kind=TimelineKind.COMMUNICATION,
            text=text,
            data={"communication_id": communication.pk, "fields": changed},
        )
    return communication


def communication_approve(*, communication: Communication, actor: Actor) -> Communication:
    if actor.user is None:
        raise ValidationError(
            {"approved_by": "Updates are approved by a person, not an integration."}
        )
    with transaction.atomic(), acting_as(actor):
        communication = _locked(communication)
        if communication.status != CommunicationStatus.DRAFT:
            raise ValidationError(
                {"status": f"Only a draft can be approved; this update is {communication.status}."}
            )
        communication.status = CommunicationStatus.APPROVED
        communication.approved_by = actor.user
        communication.approved_at = timezone.now()
        communication.save()
        timeline_record(
            incident=communication.incident,
            actor=actor,
            kind=TimelineKind.COMMUNICATION,
            text=f"Update {communication.subject!r} approved by {actor.label}",
            data={"communication_id": communication.pk, "status": communication.status},
        )
    return communication


def _send_email(communication: Communication) -> list[str]:
    recipients = list(settings.COMMUNICATION_RECIPIENTS.get(communication.audience, []))
    if not recipients:
        return []
    message = EmailMultiAlternatives(
        subject=communication.subject,
        body=communication.body,
        to=[settings.DEFAULT_FROM_EMAIL],
        bcc=recipients,
    )
    message.attach_alternative(str(text_to_html(communication.body)), "text/html")
    message.send()
    return recipients


def _check_someone_receives(communication: Communication) -> None:
    """Reject sending an update that no e-mail recipient and no channel would receive.

    Recorded as sent, such an update would count for the update clock, and a regulator
    notice would look delivered, when nobody was told.
    """
    if settings.COMMUNICATION_RECIPIENTS.get(communication.audience):
        return
    if communication.is_posted_publicly:
        return
    setting = f"COMMUNICATION_RECIPIENTS_{communication.audience.upper()}"
    raise ValidationError(
        {
            "audience": f"No one would receive this update for "
            f"{communication.get_audience_display().lower()}: {setting} lists no e-mail "
            "recipients. Set it, then send the update again."
        }
    )


def communication_send(*, communication: Communication, actor: Actor) -> Communication:
    """Send an approved update by e-mail and to Slack, and restart the update clock.

    Recipients per audience come from COMMUNICATION_RECIPIENTS; they are Bcc'd so one
    audience never sees another's addresses. A failed e-mail raises and marks nothing.
    """
    with transaction.atomic(), acting_as(actor):
        communication = _locked(communication)
        if communication.status == CommunicationStatus.DRAFT:
            raise ValidationError(
                {"status": "This update is a draft: it must be approved before it is sent."}
            )
        if communication.status == CommunicationStatus.SENT:
            sent = timezone.localtime(communication.sent_at).strftime("%Y-%m-%d %H:%M %Z")
            raise ValidationError({"status": f"This update was already sent at {sent}."})

        _check_someone_receives(communication)
        now = timezone.now()
        communication.recipients = _send_email(communication)
        communication.status = CommunicationStatus.SENT
        communication.sent_at = now
        communication.save()

        incident = communication.incident
        if communication.recipients:
            count = len(communication.recipients)
            delivery = f"e-mailed to {count} recipient{pluralize(count)}"
        else:
            delivery = "no e-mail recipients are configured; posted to the status channel"
        timeline_record(
            incident=incident,
            actor=actor,
            kind=TimelineKind.COMMUNICATION,
            text=f"Update for {communication.get_audience_display().lower()} sent "
            f"({delivery}): {communication.subject}",
            data={
                "communication_id": communication.pk,
                "audience": communication.audience,
                "recipients": len(communication.recipients),
                "approved_by": communication.approved_by.get_username(),
            },
            at=now,
        )
        post_communication_to_slack(communication=communication, actor=actor)
        clock_reset_update(incident=incident, at=now)
    logger.info("Sent %s update %s for %s", communication.audience, communication.pk, incident.key)
    return communication
