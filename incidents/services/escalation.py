"""Pages, reminders and chat posts that leave Incident Desk.

Each delivery channel has one function here. E-mail goes out through Django's mail
backend. The PagerDuty and Slack integrations do not exist yet, so those functions
record what they would send on the timeline, marked "Recorded, not sent".
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

# Audiences whose sent updates are also posted to a Slack channel, by setting name.
SLACK_CHANNEL_SETTINGS = {
    Audience.CUSTOMERS: "SLACK_STATUS_CHANNEL",
    Audience.RESPONDERS: "SLACK_WARROOM_CHANNEL",
}


def page_security_lead(*, incident: Incident, actor: Actor, reason: str) -> TimelineEntry:
    """Page the incident's security lead, or the security on-call if none is assigned.

    TODO: trigger the PagerDuty event here once the PagerDuty integration exists; until
    then the page is recorded on the timeline and not sent.
    """
    lead = incident.security_lead
    target = lead.get_username() if lead else "the security on-call"
    service = settings.PAGERDUTY_SERVICE_NAME
    entry = timeline_record(
        incident=incident,
        actor=actor,
        kind=TimelineKind.PAGE,
        text=f"Recorded, not sent: PagerDuty page to {target} on {service}: {reason}",
        data={
            "target_user_id": lead.pk if lead else None,
            "service": service,
            "reason": reason,
            "dry_run": True,
        },
    )
    logger.info("Recorded a security lead page for %s (not sent)", incident.key)
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
    """Post a sent update to its audience's Slack channel, if the audience has one.

    TODO: call chat.postMessage here once the Slack integration exists; until then the
    post is recorded on the timeline and not sent. Private incidents are never posted to
    the public status channel.
    """
    setting = SLACK_CHANNEL_SETTINGS.get(communication.audience)
    if setting is None:
        return None
    incident = communication.incident
    channel = getattr(settings, setting)
    if incident.private and communication.audience == Audience.CUSTOMERS:
        return timeline_record(
            incident=incident,
            actor=actor,
            kind=TimelineKind.NOTIFICATION,
            text=f"Not posted to {channel}: {incident.key} is private",
            data={"communication_id": communication.pk, "channel": channel},
        )
    return timeline_record(
        incident=incident,
        actor=actor,
        kind=TimelineKind.NOTIFICATION,
        text=f"Recorded, not sent: {channel} \u2190 {communication.subject}",
        data={"communication_id": communication.pk, "channel": channel, "dry_run": True},
    )
