"""Webhook deliveries the fake PagerDuty and Jira send, signed as the real services sign them.

The fakes cannot reach Incident Desk's web server, so each function changes the fake's
state as a person in the vendor's web app would, and returns the delivery the vendor
would then send. The caller posts it through the webhook view.
"""

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from integrations.fakes.server import FakeVendors
from integrations.webhooks.base import hub_signature
from integrations.webhooks.deliveries import Delivery
from integrations.webhooks.pagerduty import pagerduty_signature

PAGERDUTY_EVENT_STATUSES = {
    "incident.triggered": "triggered",
    "incident.acknowledged": "acknowledged",
    "incident.resolved": "resolved",
}


def _timestamp(at: datetime | None) -> str:
    return (at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="milliseconds")


def pagerduty_incident_event(
    vendors: FakeVendors,
    *,
    dedup_key: str,
    event_type: str,
    secrets: list[str],
    agent_id: str = "PDEMO01",
    at: datetime | None = None,
) -> Delivery:
    """Move the fake incident of an alert to the event's status; return the webhook v3 delivery."""
    status = PAGERDUTY_EVENT_STATUSES[event_type]
    with vendors.lock:
        incident = next(
            found
            for found in vendors.pagerduty_incidents.values()
            if found["incident_key"] == dedup_key
        )
        incident["status"] = status
        for alert in vendors.alerts:
            if alert["id"] == incident["id"]:
                alert["status"] = status

    base = f"{vendors.base_url}/pagerduty"
    event: dict[str, Any] = {
        "event": {
            "id": uuid.uuid4().hex.upper()[:26],
            "event_type": event_type,
            "resource_type": "incident",
            "occurred_at": _timestamp(at),
            "agent": {"id": agent_id, "type": "user_reference", "summary": "Duty Engineer"},
            "client": None,
            "data": {
                "id": incident["id"],
                "type": "incident",
                "status": status,
                "incident_key": dedup_key,
                "title": incident["title"],
                "urgency": "high",
                "html_url": f"{base}/incidents/{incident['id']}",
                "self": f"{base}/incidents/{incident['id']}",
            },
        }
    }
    body = json.dumps(event).encode()
    signatures = ",".join(pagerduty_signature(secret.encode(), body) for secret in secrets)
    return Delivery(
        name=f"fake PagerDuty {event_type} {incident['id']}",
        description="",
        method="POST",
        path="/webhooks/pagerduty/",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "PagerDuty-Webhook/V3.0",
            "X-Webhook-Id": str(uuid.uuid4()),
            "X-PagerDuty-Signature": signatures,
        },
        body=body,
    )


def jira_issue_transitioned(
    vendors: FakeVendors, *, issue_key: str, category: str, secret: str, account_id: str
) -> Delivery:
    """Move a fake issue to a status of this category; return the jira:issue_updated delivery."""
    names = {"new": "To Do", "indeterminate": "In Progress", "done": "Done"}
    with vendors.lock:
        issue = vendors.issues[issue_key]
        previous = issue["fields"]["status"]
        issue["fields"]["status"] = {
            "name": names[category],
            "statusCategory": {"key": category, "name": names[category]},
        }

    payload = {
        "timestamp": int(datetime.now(UTC).timestamp() * 1000),
        "webhookEvent": "jira:issue_updated",
        "issue_event_type_name": "issue_generic",
        "user": {"accountId": account_id, "displayName": "Platform Engineer"},
        "issue": {"id": issue["id"], "key": issue_key, "fields": issue["fields"]},
        "changelog": {
            "items": [
                {
                    "field": "status",
                    "fromString": previous.get("name", ""),
                    "toString": names[category],
                }
            ]
        },
    }
    body = json.dumps(payload).encode()
    return Delivery(
        name=f"fake Jira {issue_key} to {category}",
        description="",
        method="POST",
        path="/webhooks/jira/",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "X-Atlassian-Webhook-Identifier": str(uuid.uuid4()),
            "X-Hub-Signature": hub_signature(secret.encode(), body),
        },
        body=body,
    )
