"""PagerDuty webhooks v3: incidents triggered and acknowledged in PagerDuty.

Verified with ``X-PagerDuty-Signature: v1=<hex HMAC-SHA256(secret, body)>``. While a
secret is rotated PagerDuty sends one ``v1=`` value per secret, comma-separated, and
PAGERDUTY_WEBHOOK_SECRETS may hold the old and the new secret: any pair that matches
verifies the delivery.

``incident.triggered`` links the PagerDuty incident to its incident here. That is the
incident Incident Desk paged for (the dedup_key it sent comes back as ``incident_key``),
the open incident of the Zendesk ticket it escalates, or a new incident.
``incident.acknowledged`` sets the incident's acknowledged time, which MTTA counts.
Both are idempotent, so a redelivery changes nothing. Other event types are answered
200 and ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from django.conf import settings

from incidents.choices import AlertSource
from integrations.services import pagerduty_incident_acknowledged, pagerduty_incident_triggered
from integrations.webhooks.base import (
    Receiver,
    Reply,
    SigningContext,
    WebhookError,
    optional,
    parse_iso_datetime,
    replace_header,
    require,
    shorten,
)

SIGNATURE_HEADER = "X-PagerDuty-Signature"
SECRETS_SETTING = "PAGERDUTY_WEBHOOK_SECRETS"
PING_EVENT = "pagey.ping"

# The Zendesk trigger that escalates a ticket names it in the alert's dedup key, such as
# "zendesk-ticket-4521", or in its title, such as "Zendesk ticket #4521: ...".
ZENDESK_TICKET = re.compile(r"zendesk[\s_:-]*(?:ticket)?[\s_:-]*#?(\d+)", re.IGNORECASE)


def pagerduty_signature(secret: bytes, body: bytes) -> str:
    return "v1=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def zendesk_ticket_id(incident_key: str, title: str) -> str:
    """Return the Zendesk ticket id an escalated PagerDuty incident names, or ""."""
    for text in (incident_key, title):
        match = ZENDESK_TICKET.search(text or "")
        if match:
            return match.group(1)
    return ""


def _secrets() -> list[bytes]:
    secrets = [secret for secret in getattr(settings, SECRETS_SETTING, []) if secret]
    if not secrets:
        raise WebhookError(
            403,
            SIGNATURE_HEADER,
            f"{SECRETS_SETTING} is not set, so every delivery is refused: set it to the "
            "secret of the PagerDuty webhook subscription.",
        )
    return [secret.encode() for secret in secrets]


class PagerDutyReceiver(Receiver):
    source = AlertSource.PAGERDUTY

    def verify(self) -> None:
        secrets = _secrets()
        given = [value.strip() for value in self.header(SIGNATURE_HEADER).split(",")]
        signatures = [value for value in given if value.startswith("v1=")]
        if not signatures:
            raise WebhookError(
                401, SIGNATURE_HEADER, f"{SIGNATURE_HEADER} has no v1=<hex> signature."
            )
        expected = [pagerduty_signature(secret, self.body) for secret in secrets]
        # Every pair is compared, so the time taken does not depend on which one matched.
        matches = [
            hmac.compare_digest(want.encode(), signature.encode())
            for want in expected
            for signature in signatures
        ]
        if not any(matches):
            raise WebhookError(
                401, SIGNATURE_HEADER, f"The {SIGNATURE_HEADER} signature does not match the body."
            )

    def handle(self) -> Reply:
        payload = self.json_object()
        event_type = require(payload, "event.event_type", str)
        if event_type == PING_EVENT:
            return Reply({"status": "pong"})
        if event_type not in ("incident.triggered", "incident.acknowledged"):
            return Reply(
                {"status": "ignored", "note": f"PagerDuty event {event_type!r} is not handled."}
            )

        event = payload["event"]
        pagerduty_id = require(event, "data.id", str)
        data = event["data"]
        incident_key = optional(data, "incident_key", "")
        if not isinstance(incident_key, str):
            raise WebhookError(
                400, "event.data.incident_key", "event.data.incident_key must be a str."
            )
        if event_type == "incident.acknowledged":
            incident = pagerduty_incident_acknowledged(
                pagerduty_incident_id=pagerduty_id,
                acknowledged_at=parse_iso_datetime(
                    require(event, "occurred_at", str), "event.occurred_at"
                ),
                incident_key=incident_key,
                acknowledged_by=str(optional(event, "agent.id", "")),
            )
        else:
            title = shorten(require(data, "title", str))
            incident = pagerduty_incident_triggered(
                pagerduty_incident_id=pagerduty_id,
                title=title,
                urgency=str(optional(data, "urgency", "high")),
                incident_key=incident_key,
                html_url=str(optional(data, "html_url", "")),
                zendesk_ticket_id=zendesk_ticket_id(incident_key, title),
                payload=payload,
            )
        return Reply(
            {
                "status": "accepted" if incident else "ignored",
                "event_type": event_type,
                "incident": incident.key if incident else None,
            }
        )

    @classmethod
    def sign(
        cls, body: bytes, headers: dict[str, str], context: SigningContext
    ) -> tuple[bytes, dict[str, str]]:
        signatures = ",".join(pagerduty_signature(secret, body) for secret in _secrets())
        return body, replace_header(headers, SIGNATURE_HEADER, signatures)
