"""Services the rest of Incident Desk calls to reach PagerDuty, Jira, Slack and Google Drive.

The outgoing functions write outbox rows inside the caller's transaction. The incoming
functions apply what a PagerDuty or Jira webhook reported, through the same kind of
service, with the integration as actor.
"""

import logging
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents.actors import Actor
from incidents.audit import acting_as
from incidents.choices import AlertSignal, AlertSource, Status, TimelineKind
from incidents.models import (
    Communication,
    CommunicationStatus,
    Incident,
    RemediationStatus,
    RemediationTask,
)
from incidents.services import AlertInput, alert_ingest, timeline_record
from incidents.severity_matrix import suggest_for_pagerduty
from integrations import slack
from integrations.models import (
    ExternalIdentity,
    ExternalSystem,
    JiraIssue,
    OutboxMessage,
    PagerDutyIncident,
    Target,
)
from integrations.outbox import outbox_retry, outbox_write

logger = logging.getLogger(__name__)

__all__ = [
    "communication_post",
    "jira_issue_synced",
    "outbox_retry",
    "page_security_lead",
    "pagerduty_incident_acknowledged",
    "pagerduty_incident_triggered",
    "remediation_task_file",
]

PAGERDUTY = Actor.for_integration(Target.PAGERDUTY)
JIRA = Actor.for_integration(Target.JIRA)

# Jira's statusCategory keys, the same in every workflow and language.
JIRA_STATUS_CATEGORIES = {
    "new": RemediationStatus.OPEN,
    "indeterminate": RemediationStatus.IN_PROGRESS,
    "done": RemediationStatus.DONE,
}
FINISHED_TASK_STATUSES = (RemediationStatus.DONE, RemediationStatus.WONT_DO)
# The dedup_key the Zendesk receiver gives the alerts of one ticket.
ZENDESK_TICKET_DEDUP_KEY = "ticket:{ticket_id}"


def page_security_lead(*, incident: Incident, actor: Actor) -> OutboxMessage:
    """Write the outbox row that pages the security lead through PagerDuty, once.

    A second call for the same incident returns the first row and sends no second page.
    The caller records why on the timeline, as incidents.services.escalation does.
    """
    with transaction.atomic(), acting_as(actor):
        idempotency_key = f"pagerduty:{incident.key}:page-security-lead"
        existing = OutboxMessage.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
        message = outbox_write(
            target=Target.PAGERDUTY,
            operation="page_security_lead",
            payload={
                "title": f"Security lead needed: {incident.key} {incident.title}"[:255],
                "message": (
                    f"{incident.key} ({incident.severity} {incident.category}) needs the "
                    f"security lead: {incident.title}"
                ),
                "alert_key": incident.key,
                "incident_key": f"{incident.key}-security-lead",
            },
            idempotency_key=idempotency_key,
            incident=incident,
            ordering_key=f"pagerduty:{incident.key}",
        )
    return message


def communication_post(*, communication: Communication, actor: Actor) -> OutboxMessage | None:
    """Post an approved customer communication to the public status channel.

    Returns None, posting nothing, for a private incident or for another audience:
    the status channel is public and only carries updates for customers.
    """
    if communication.status not in (CommunicationStatus.APPROVED, CommunicationStatus.SENT):
        raise ValidationError(
            {
                "status": f"Communication {communication.pk} is {communication.status}: "
                "only approved communications are posted."
            }
        )
    incident = communication.incident
    if not communication.is_posted_publicly:
        logger.info(
            "Communication %s of %s not posted to %s (private=%s, audience=%s)",
            communication.pk,
            incident.key,
            settings.SLACK_STATUS_CHANNEL,
            incident.private,
            communication.audience,
        )
        return None
    channel = settings.SLACK_STATUS_CHANNEL
    with transaction.atomic(), acting_as(actor):
        return outbox_write(
            target=Target.SLACK,
            operation="post_message",
            payload={
                "channel": channel,
                "text": (
                    f"*{slack.escape(communication.subject)}*\n{slack.escape(communication.body)}"
                ),
                "thread": slack.NO_THREAD,
            },
            idempotency_key=f"slack:{channel}:communication:{communication.pk}",
            incident=incident,
            ordering_key=f"slack:{channel}:{incident.key}",
        )


def remediation_task_file(*, task: RemediationTask, actor: Actor) -> OutboxMessage:
    """File a remediation task as a Jira issue; call it in the task's creating transaction."""
    with transaction.atomic(), acting_as(actor):
        return outbox_write(
            target=Target.JIRA,
            operation="create_issue",
            payload={"task_id": task.pk, "incident": task.incident.key},
            idempotency_key=f"jira:task:{task.pk}:create",
            incident=task.incident,
            ordering_key=f"jira:task:{task.pk}",
        )


def _incident_for_pagerduty(pagerduty_incident_id: str, incident_key: str) -> Incident | None:
    link = PagerDutyIncident.objects.filter(pagerduty_id=pagerduty_incident_id).first()
    if link is not None and link.incident is not None:
        return link.incident
    if incident_key:
        # A closed incident stays as it was audited: a new PagerDuty incident that names it
        # opens an incident of its own.
        return Incident.objects.exclude(status=Status.CLOSED).filter(key=incident_key).first()
    return None


def pagerduty_incident_acknowledged(
    *,
    pagerduty_incident_id: str,
    acknowledged_at: datetime,
    incident_key: str = "",
    acknowledged_by: str = "",
) -> Incident | None:
    """Record that a PagerDuty incident was acknowledged, for the incident's MTTA.

    The incident is found by the stored PagerDuty incident id, or by incident_key, which
    is the Incident Desk key for alerts it triggered. The earliest acknowledgement
    counts, and a repeated webhook changes nothing. Returns None for an unknown incident:
    its acknowledgement is kept and applied if the incident.triggered webhook, which
    PagerDuty may deliver later, links the PagerDuty incident to one.
    """
    incident = _incident_for_pagerduty(pagerduty_incident_id, incident_key)
    if incident is None:
        with transaction.atomic(), acting_as(PAGERDUTY):
            PagerDutyIncident.objects.get_or_create(
                pagerduty_id=pagerduty_incident_id,
                defaults={
                    "incident_key": incident_key,
                    "acknowledged_at": acknowledged_at,
                    "acknowledged_by": acknowledged_by,
                },
            )
        logger.info(
            "PagerDuty incident %s matches no incident yet; its acknowledgement is kept",
            pagerduty_incident_id,
        )
        return None

    with transaction.atomic(), acting_as(PAGERDUTY):
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if incident.status == Status.CLOSED:
            logger.info(
                "Ignored acknowledgement of PagerDuty incident %s because %s is closed",
                pagerduty_incident_id,
                incident.key,
            )
            return None
        link, _ = PagerDutyIncident.objects.get_or_create(
            pagerduty_id=pagerduty_incident_id,
            defaults={"incident": incident, "incident_key": incident_key},
        )
        if link.incident_id is None:
            # An acknowledgement kept before the incident was known: it counts now.
            link.incident = incident
            link.save(update_fields=["incident"])
        elif link.acknowledged_at is not None:
            return incident
        else:
            link.acknowledged_at = acknowledged_at
            link.acknowledged_by = acknowledged_by
            link.save(update_fields=["acknowledged_at", "acknowledged_by"])
        _record_acknowledgement(incident, link)
    logger.info("PagerDuty incident %s acknowledged %s", pagerduty_incident_id, incident.key)
    return incident


def _record_acknowledgement(incident: Incident, link: PagerDutyIncident) -> None:
    """Count a PagerDuty acknowledgement for the incident's MTTA and put it on the timeline.

    Call it with the incident locked, inside the transaction that stores the link.
    """
    acknowledged_at = link.acknowledged_at
    # PagerDuty's clock and ours differ, and a page can precede the incident here.
    # MTTA is never negative, so an earlier acknowledgement counts as at detection.
    # A time in the future counts as now.
    counted_at = min(max(acknowledged_at, incident.detected_at), timezone.now())
    if incident.acknowledged_at is None or counted_at < incident.acknowledged_at:
        incident.acknowledged_at = counted_at
        incident.save(update_fields=["acknowledged_at", "updated_at"])
    timeline_record(
        incident=incident,
        actor=PAGERDUTY,
        kind=TimelineKind.NOTE,
        text=f"Acknowledged in PagerDuty by {_pagerduty_user_label(link.acknowledged_by)}",
        data={
            "pagerduty_incident": link.pagerduty_id,
            "acknowledged_at": acknowledged_at.isoformat(),
        },
        at=counted_at,
    )


def _pagerduty_user_label(pagerduty_user_id: str) -> str:
    identity = (
        ExternalIdentity.objects.filter(
            system=ExternalSystem.PAGERDUTY, external_id=pagerduty_user_id
        )
        .select_related("user")
        .first()
    )
    if identity is not None:
        return identity.user.get_username()
    return pagerduty_user_id or "an unknown user"


def pagerduty_incident_triggered(
    *,
    pagerduty_incident_id: str,
    title: str,
    urgency: str = "high",
    incident_key: str = "",
    html_url: str = "",
    zendesk_ticket_id: str = "",
    payload: dict | None = None,
) -> Incident:
    """Link a new PagerDuty incident to its incident, opening one if there is none.

    An incident_key equal to an Incident Desk key is an alert Incident Desk triggered.
    A PagerDuty incident escalated from a Zendesk ticket joins the open incident of that
    ticket. Any other opens an incident through alert intake. Redeliveries are no-ops.
    """
    incident = _incident_for_pagerduty(pagerduty_incident_id, incident_key)
    if incident is None and zendesk_ticket_id:
        dedup_key = ZENDESK_TICKET_DEDUP_KEY.format(ticket_id=zendesk_ticket_id)
        incident = (
            Incident.objects.open()
            .filter(alerts__source=AlertSource.ZENDESK, alerts__dedup_key=dedup_key)
            .order_by("-detected_at")
            .first()
        )
    if incident is None:
        suggestion = suggest_for_pagerduty(urgency)
        if zendesk_ticket_id:
            # Stored as the ticket's Zendesk alert, so the ticket's own webhook joins this
            # incident in whichever order the two deliveries arrive.
            source = AlertSource.ZENDESK
            external_id = f"pagerduty:{pagerduty_incident_id}"
            dedup_key = ZENDESK_TICKET_DEDUP_KEY.format(ticket_id=zendesk_ticket_id)
        else:
            source = AlertSource.PAGERDUTY
            external_id = dedup_key = pagerduty_incident_id
        result = alert_ingest(
            AlertInput(
                source=source,
                external_id=external_id,
                dedup_key=dedup_key,
                signal=AlertSignal.TRIGGER,
                title=title,
                category=suggestion.category,
                severity=suggestion.severity,
                payload=payload or {"id": pagerduty_incident_id, "title": title},
                summary=f"Zendesk ticket {zendesk_ticket_id}" if zendesk_ticket_id else "",
            ),
            actor=PAGERDUTY,
        )
        incident = result.incident

    with transaction.atomic(), acting_as(PAGERDUTY):
        link, created = PagerDutyIncident.objects.get_or_create(
            pagerduty_id=pagerduty_incident_id,
            defaults={"incident": incident, "incident_key": incident_key, "html_url": html_url},
        )
        waiting_acknowledgement = link.incident is None
        if waiting_acknowledgement:
            # The acknowledgement was delivered first and kept until now.
            link.incident = incident
            link.html_url = html_url
            link.save(update_fields=["incident", "html_url"])
        if (created or waiting_acknowledgement) and zendesk_ticket_id:
            timeline_record(
                incident=incident,
                actor=PAGERDUTY,
                kind=TimelineKind.NOTE,
                text=(
                    f"PagerDuty incident {pagerduty_incident_id} opened for Zendesk "
                    f"ticket {zendesk_ticket_id}"
                ),
                data={
                    "pagerduty_incident": pagerduty_incident_id,
                    "zendesk_ticket": zendesk_ticket_id,
                },
            )
        if waiting_acknowledgement and link.acknowledged_at is not None:
            locked = Incident.objects.select_for_update().get(pk=incident.pk)
            if locked.status != Status.CLOSED:
                _record_acknowledgement(locked, link)
    return link.incident


def jira_issue_synced(
    *, issue_key: str, status_category: str, changed_by_account_id: str = ""
) -> RemediationTask | None:
    """Apply a Jira issue's status category to its remediation task.

    Only the statusCategory key (new, indeterminate, done) is read, never the status
    name, which differs per workflow and language. Changes made by Incident Desk's own
    Jira account (JIRA_ACCOUNT_ID) are ignored, so its own updates do not echo back.
    Returns the task, or None when nothing was changed.
    """
    category = status_category.lower()
    if category not in JIRA_STATUS_CATEGORIES:
        raise ValidationError(
            {
                "status_category": f"Unknown Jira status category {status_category!r}: "
                f"use one of {sorted(JIRA_STATUS_CATEGORIES)}."
            }
        )
    issue = JiraIssue.objects.filter(issue_key=issue_key).first()
    previous_category = issue.status_category if issue else ""
    if issue is not None and previous_category != category:
        # Recorded for every change, Incident Desk's own included, so that a later event
        # that leaves the category as it was (a comment, a label) moves no task.
        with acting_as(JIRA):
            issue.status_category = category
            issue.save(update_fields=["status_category"])
    if settings.JIRA_ACCOUNT_ID and changed_by_account_id == settings.JIRA_ACCOUNT_ID:
        logger.info("Ignored Jira change of %s made by Incident Desk itself", issue_key)
        return None
    if issue is not None and previous_category == category:
        return None
    task_id = issue.task_id if issue else None
    if task_id is None:
        # NOTE: a task found by its tracker_key alone has no stored category, so every
        # event for its issue applies the category, changed or not.
        task_id = (
            RemediationTask.objects.filter(tracker_key=issue_key)
            .values_list("pk", flat=True)
            .first()
        )
    if task_id is None:
        logger.info("Jira issue %s matches no remediation task", issue_key)
        return None

    with transaction.atomic(), acting_as(JIRA):
        task = (
            RemediationTask.objects.select_for_update().select_related("incident").get(pk=task_id)
        )
        target = JIRA_STATUS_CATEGORIES[category]
        if task.status == target or (
            target == RemediationStatus.DONE and task.status in FINISHED_TASK_STATUSES
        ):
            return None
        previous = task.status
        task.status = target
        task.full_clean()
        task.save(update_fields=["status"])
        timeline_record(
            incident=task.incident,
            actor=JIRA,
            kind=TimelineKind.ACTION,
            text=f"Remediation task {task.title!r} moved from {previous} to {target} "
            f"in {issue_key}",
            data={"remediation_task_id": task.pk, "from": previous, "to": target},
        )
    logger.info("Remediation task %s moved from %s to %s by Jira", task.pk, previous, target)
    return task
