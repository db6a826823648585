"""Jira Cloud webhooks: the status of the issues filed for remediation tasks.

Verified with ``X-Hub-Signature: sha256=<hex HMAC-SHA256(secret, body)>``, the form Jira
sends when the webhook has a secret (JIRA_WEBHOOK_SECRET). A ``jira:issue_created`` or
``jira:issue_updated`` event moves the issue's remediation task by the status category
key (new, indeterminate, done), never by the status name, which each workflow and
language names differently. Changes made by Incident Desk's own Jira account are
ignored. Syncing is idempotent, so a redelivery changes nothing.
"""

from __future__ import annotations

from integrations.services import JIRA_STATUS_CATEGORIES, jira_issue_synced
from integrations.webhooks.base import (
    Receiver,
    Reply,
    SigningContext,
    WebhookError,
    check_hmac,
    hub_signature,
    optional,
    replace_header,
    require,
    require_secret,
)

SIGNATURE_HEADER = "X-Hub-Signature"
SECRET_SETTING = "JIRA_WEBHOOK_SECRET"
ISSUE_EVENTS = ("jira:issue_created", "jira:issue_updated")
STATUS_CATEGORY_PATH = "issue.fields.status.statusCategory.key"


class JiraReceiver(Receiver):
    """Jira reports on the issues Incident Desk filed; it stores no alert."""

    source = "jira"

    def verify(self) -> None:
        secret = require_secret(SECRET_SETTING, SIGNATURE_HEADER)
        given = self.header(SIGNATURE_HEADER)
        if not given.startswith("sha256="):
            raise WebhookError(401, SIGNATURE_HEADER, f"{SIGNATURE_HEADER} must be sha256=<hex>.")
        check_hmac(hub_signature(secret, self.body), given, SIGNATURE_HEADER)

    def handle(self) -> Reply:
        payload = self.json_object()
        event = require(payload, "webhookEvent", str)
        if event not in ISSUE_EVENTS:
            return Reply({"status": "ignored", "note": f"Jira event {event!r} is not handled."})

        issue_key = require(payload, "issue.key", str)
        category = require(payload, STATUS_CATEGORY_PATH, str)
        if category.lower() not in JIRA_STATUS_CATEGORIES:
            raise WebhookError(
                400,
                STATUS_CATEGORY_PATH,
                f"Unknown Jira status category {category!r}: expected one of "
                f"{', '.join(sorted(JIRA_STATUS_CATEGORIES))}.",
            )
        account_id = optional(payload, "user.accountId", "")
        task = jira_issue_synced(
            issue_key=issue_key,
            status_category=category,
            changed_by_account_id=account_id if isinstance(account_id, str) else "",
        )
        return Reply(
            {
                "status": "synced" if task else "unchanged",
                "issue": issue_key,
                "remediation_task": task.pk if task else None,
                "incident": task.incident.key if task else None,
            }
        )

    @classmethod
    def sign(
        cls, body: bytes, headers: dict[str, str], context: SigningContext
    ) -> tuple[bytes, dict[str, str]]:
        secret = require_secret(SECRET_SETTING, SIGNATURE_HEADER)
        return body, replace_header(headers, SIGNATURE_HEADER, hub_signature(secret, body))
