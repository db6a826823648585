"""Pages, reminders and chat posts that leave Incident Desk.

Each delivery channel has one function here. E-mail goes out through Django's mail
backend. PagerDuty pages and Slack posts are outbox rows of the integrations app,
delivered by its tasks (or recorded only, in dry-run mode).
"""

import logging

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail

from incidents.actors import Actor
from incidents.choices import TimelineKind
from incidents.models import Communication, Incident, TimelineEntry
from incidents.models.followup import Audience
from incidents.services.timeline import timeline_record

logger = logging.getLogger(__name__)


def page_security_lead(*, incident: Incident, actor: Actor, reason: str) -> TimelineEntry:
    """Page the security lead through PagerDuty and record why on the timeline.

    The page is an outbox message, written in the caller's transaction, and a second
    call for the same incident sends no second page. The timeline entry records that the
    page was queued. The message shows whether it was delivered or, with no PagerDuty
    credentials, only recorded.
    """
    from integrations.services import page_security_lead as pagerduty_page_security_lead

    message = pagerduty_page_security_lead(incident=incident, actor=actor)
    lead = incident.security_lead
    target = lead.get_username() if lead else "the security on-call"
    entry = timeline_record(
        incident=incident,
        actor=actor,
        kind=TimelineKind.PAGE,
        text=f"Page to {target} queued for PagerDuty as outbox message {message.pk}: {reason}",
        data={
            "target_user_id": lead.pk if lead else None,
            "service": settings.PAGERDUTY_SERVICE_NAME,
            "reason": reason,
            "outbox_message_id": message.pk,
        },
    )
    logger.info("Queued a security lead page for %s as outbox row %s", incident.key, message.pk)
    return entry


def remind_user(
    *,
    incident: Incident,
    actor: Actor,
    user: AbstractBaseUser | None,
    role: str,
    message: str,
) -> TimelineEntry:
    """E-mail a reminder to a role holder and record it; with no holder, record only.

    NOTE: the e-mail leaves inside the caller's transaction. If that transaction then
    rolls back, the reminder is not recorded and the next sweep sends it again.
    """
    if user is None:
        text = f"Reminder for the {role}, who is not assigned: {message}"
        recipients = []
    elif not user.email:
        text = f"Reminder for {user.get_username()} ({role}), who has no e-mail address: {message}"
        recipients = []
    else:
        recipients = [user.email]
        text = f"Reminder e-mailed to {user.get_username()} ({role}): {message}"
        send_mail(
            subject=f"[{incident.key}] {message}",
            message=f"{message}\n\n{incident.key} {incident.title}",
            from_email=None,
            recipient_list=recipients,
        )
    return timeline_record(
        incident=incident,
        actor=actor,
        kind=TimelineKind.NOTIFICATION,
        text=text,
        data={"role": role, "recipients": recipients, "message": message},
    )


def post_communication_to_slack(
    *, communication: Communication, actor: Actor
) -> TimelineEntry | None:
    """Post a sent customer update to the public status channel, through the outbox.

    Private incidents are never posted to the public status channel, and updates for
    other audiences are not posted there either.
    """
    from integrations.services import communication_post

    incident = communication.incident
    channel = settings.SLACK_STATUS_CHANNEL
    if communication.audience != Audience.CUSTOMERS:
        return None
    if incident.private:
        return timeline_record(
            incident=incident,
            actor=actor,
            kind=TimelineKind.NOTIFICATION,
            text=f"Not posted to {channel}: {incident.key} is private",
            data={"communication_id": communication.pk, "channel": channel},
        )
    message = communication_post(communication=communication, actor=actor)
    return timeline_record(
        incident=incident,
        actor=actor,
        kind=TimelineKind.NOTIFICATION,
        text=f"Queued for {channel}: {communication.subject}",
        data={
            "communication_id": communication.pk,
            "channel": channel,
            "outbox_message_id": message.pk if message else None,
        },
    )
