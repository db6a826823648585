"""PagerDuty webhooks v3: incidents triggered and acknowledged in PagerDuty.

Verified with ``X-PagerDuty-Signature: v1=<hex HMAC-SHA256(secret, body)>``. While a
secret is rotated PagerDuty sends one ``v1=`` value per secret, comma-separated, and
PAGERDUTY_WEBHOOK_SECRETS may hold the old and the new secret: any pair that matches
verifies the delivery.

``incident.triggered`` links the PagerDuty incident to its incident here. That is the
incident Incident Desk paged for (the dedup_key it sent comes back as ``incident_key``),
the open incident of the Zendesk ticket it escalates, or a new incident.
``incident.acknowledged`` sets the incident's acknowledged time, which MTTA counts.
Both are idempotent, so a redelivery changes nothing. Other event types are ignored
with a 200.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from django.conf import settings

from incidents.choices import AlertSource
from integrations.models import PagerDutyIncident
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
# "zendesk-ticket-4521" or "Zendesk:4521", or in its title, such as "Zendesk ticket #4521: ...".
# A title must contain "ticket", so "Zendesk 2FA codes fail" names no ticket. ASCII digits only,
# because the Zendesk receiver keys alerts by the ticket id as Zendesk sends it.
ZENDESK_TICKET_IN_KEY = re.compile(
    r"\bzendesk[\s_:-]*(?:ticket)?[\s_:-]*#?([0-9]+)\b", re.IGNORECASE | re.ASCII
)
ZENDESK_TICKET_IN_TITLE = re.compile(
    r"\bzendesk[\s_:-]*ticket[\s_:-]*#?([0-9]+)\b", re.IGNORECASE | re.ASCII
)


def pagerduty_signature(secret: bytes, body: bytes) -> str:
    return "v1=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def zendesk_ticket_id(incident_key: str, title: str) -> str:
    """Return the Zendesk ticket id an escalated PagerDuty incident names, or ""."""
    for pattern, text in ((ZENDESK_TICKET_IN_KEY, incident_key), (ZENDESK_TICKET_IN_TITLE, title)):
        match = pattern.search(text or "")
        # Zendesk ticket ids are positive integers, written without leading zeros.
        if match and int(match.group(1)) > 0:
            return str(int(match.group(1)))
    return ""


def _bounded(value: str, path: str, model_field: str) -> str:
    """Return value, or a 400 naming path when it is longer than the column that stores it."""
    limit = PagerDutyIncident._meta.get_field(model_field).max_length
    if len(value) > limit:
        raise WebhookError(400, path, f"The field {path} is longer than {limit} characters.")
    return value


def _secrets() -> list[bytes]:
    configured = getattr(settings, SECRETS_SETTING, [])
    if isinstance(configured, str):
        # A string set in a settings module is one comma-separated list, never its characters.
        configured = configured.split(",")
    secrets = [secret.strip() for secret in configured if secret.strip()]
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
        received = [value.strip() for value in self.header(SIGNATURE_HEADER).split(",")]
        signatures = [value for value in received if value.startswith("v1=")]
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
        pagerduty_id = _bounded(
            require(payload, "event.data.id", str), "event.data.id", "pagerduty_id"
        )
        data = event["data"]
        incident_key = _bounded(
            optional(data, "incident_key", "", kind=str, at="event.data"),
            "event.data.incident_key",
            "incident_key",
        )
        if event_type == "incident.acknowledged":
            agent = optional(event, "agent", {}, kind=dict, at="event")
            agent_id = _bounded(
                optional(agent, "id", "", kind=str, at="event.agent"),
                "event.agent.id",
                "acknowledged_by",
            )
            incident = pagerduty_incident_acknowledged(
                pagerduty_incident_id=pagerduty_id,
                acknowledged_at=parse_iso_datetime(
                    require(payload, "event.occurred_at", str), "event.occurred_at"
                ),
                incident_key=incident_key,
                acknowledged_by=agent_id,
            )
        else:
            title = shorten(require(payload, "event.data.title", str))
            if not title:
                raise WebhookError(400, "event.data.title", "The field event.data.title is blank.")
            incident = pagerduty_incident_triggered(
                pagerduty_incident_id=pagerduty_id,
                title=title,
                urgency=optional(data, "urgency", "high", kind=str, at="event.data"),
                incident_key=incident_key,
                html_url=_bounded(
                    optional(data, "html_url", "", kind=str, at="event.data"),
                    "event.data.html_url",
                    "html_url",
                ),
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
