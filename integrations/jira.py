"""Jira: remediation tasks filed as issues, found again by their labels before creating.

Every issue carries two labels: the incident key, and one naming the remediation task.
A retry after a lost response finds the issue by both labels with the JQL search
endpoint /rest/api/2/search/jql, because the old /search endpoint returns 410, and
creates nothing.
"""

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import requests
from django.conf import settings
from jira import JIRA, JIRAError

from incidents.actors import Actor
from incidents.audit import acting_as
from incidents.models import RemediationTask
from integrations.calls import ca_bundle, describe_request, join_url, status_error
from integrations.errors import DeliveryError, TransientDeliveryError, parse_retry_after
from integrations.models import ExternalIdentity, ExternalSystem, JiraIssue, OutboxMessage, Target
from integrations.registry import Delivery, operation, register_integration

logger = logging.getLogger(__name__)

TASK_LABEL_PREFIX = "incident-desk-task-"
DESCRIPTION_FOOTER = "Filed by Incident Desk for {key}."


def is_configured() -> bool:
    return bool(settings.JIRA_URL and settings.JIRA_EMAIL and settings.JIRA_API_TOKEN)


register_integration(Target.JIRA, is_configured, ("JIRA_URL", "JIRA_EMAIL", "JIRA_API_TOKEN"))


def jira_client() -> JIRA:
    # max_retries=0: the outbox retries. get_server_info=False: no call at construction.
    client = JIRA(
        server=settings.JIRA_URL,
        options={"verify": ca_bundle() or True},
        basic_auth=(settings.JIRA_EMAIL, settings.JIRA_API_TOKEN),
        get_server_info=False,
        max_retries=0,
        timeout=settings.INTEGRATIONS_HTTP_TIMEOUT_SECONDS,
    )
    # The client reads the deployment type from serverInfo, which is skipped above, and
    # offers the JQL search endpoint only on Cloud. Incident Desk targets Jira Cloud.
    client.deploymentType = "Cloud"
    return client


@contextlib.contextmanager
def _jira_errors(what: str) -> Iterator[None]:
    try:
        yield
    except DeliveryError:
        raise
    except JIRAError as error:
        response = error.response
        if response is None or error.status_code is None:
            raise TransientDeliveryError(f"Jira {what} failed: {error.text}") from None
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise status_error("Jira", what, error.status_code, response.text, retry_after) from None
    except requests.RequestException as error:
        raise TransientDeliveryError(f"Jira {what} failed: {type(error).__name__}") from None
    except ValueError:
        raise TransientDeliveryError(f"Jira {what} returned a body that is not JSON.") from None


def task_label(task_id: int) -> str:
    return f"{TASK_LABEL_PREFIX}{task_id}"


def issue_fields(task: RemediationTask) -> dict[str, Any]:
    """Return the fields of the issue for a remediation task, as POST /rest/api/2/issue takes."""
    incident = task.incident
    description = task.description.strip()
    footer = DESCRIPTION_FOOTER.format(key=incident.key)
    fields: dict[str, Any] = {
        "project": {"key": settings.JIRA_PROJECT_KEY},
        "issuetype": {"name": settings.JIRA_ISSUE_TYPE},
        "summary": task.title,
        "description": f"{description}\n\n{footer}" if description else footer,
        "labels": [incident.key, task_label(task.pk)],
    }
    if task.due_date is not None:
        fields["duedate"] = task.due_date.isoformat()
    account_id = (
        ExternalIdentity.objects.filter(user_id=task.owner_id, system=ExternalSystem.JIRA)
        .values_list("external_id", flat=True)
        .first()
    )
    if account_id:
        # Jira Cloud addresses users by accountId only.
        fields["assignee"] = {"id": account_id}
    return fields


def issue_search_jql(incident_key: str, task_id: int) -> str:
    project = settings.JIRA_PROJECT_KEY
    return (
        f'project = "{project}" AND labels = "{incident_key}" AND labels = "{task_label(task_id)}"'
    )


@operation(Target.JIRA, "create_issue", is_configured=is_configured)
def create_issue(message: OutboxMessage, dry_run: bool) -> Delivery:
    task = RemediationTask.objects.select_related("incident").get(pk=message.payload["task_id"])
    fields = issue_fields(task)
    request = describe_request(
        "POST",
        join_url(settings.JIRA_URL or "[JIRA_URL]", "/rest/api/2/issue"),
        json={"fields": fields},
    )
    if dry_run:
        return Delivery(request=request)

    client = jira_client()
    jql = issue_search_jql(task.incident.key, task.pk)
    with _jira_errors("issue search"):
        # fields=[] requests ids and keys only. Naming fields would make the client fetch
        # /rest/api/2/field first.
        found = client.enhanced_search_issues(jql, maxResults=1, fields=[], json_result=True)
    issues = found.get("issues") or []
    if issues:
        issue_id, issue_key = str(issues[0]["id"]), issues[0]["key"]
        logger.info("Jira issue %s already exists for remediation task %s", issue_key, task.pk)
        response = {"found": issue_key}
    else:
        with _jira_errors("issue creation"):
            created = client.create_issue(fields=fields, prefetch=False)
        issue_id, issue_key = str(created.id), created.key
        response = {"id": issue_id, "key": issue_key}

    _store_issue(task, issue_id, issue_key)
    return Delivery(request=request, response=response, external_id=issue_key)


def _store_issue(task: RemediationTask, issue_id: str, issue_key: str) -> None:
    with acting_as(Actor.for_integration("jira")):
        JiraIssue.objects.update_or_create(
            task=task, defaults={"issue_id": issue_id, "issue_key": issue_key}
        )
        if task.tracker_key != issue_key:
            task.tracker_key = issue_key
            task.full_clean()
            task.save(update_fields=["tracker_key"])
