"""Zendesk support escalations from a ticket event webhook.

Verified with ``x-zendesk-webhook-signature = base64(HMAC-SHA256(secret, timestamp + body))``
where the timestamp is the ``x-zendesk-webhook-signature-timestamp`` header (ISO 8601),
within the replay window. A redelivery carries the same event ``id``; events about one
ticket (``detail.id``) share an incident. A ticket solved or closed is a recovery.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC

from django.conf import settings
from django.utils import timezone

from incidents import severity_matrix
from incidents.choices import AlertSignal, AlertSource
from incidents.services import AlertInput
from integrations.webhooks.base import (
    Receiver,
    Reply,
    SigningContext,
    WebhookError,
    check_hmac,
    optional,
    parse_iso_datetime,
    replace_header,
    require,
    require_secret,
    shorten,
)

SIGNATURE_HEADER = "x-zendesk-webhook-signature"
TIMESTAMP_HEADER = "x-zendesk-webhook-signature-timestamp"
TICKET_EVENT_PREFIX = "zen:event-type:ticket."
RESOLVED_STATUSES = {"solved", "closed"}


def zendesk_signature(secret: bytes, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret, timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class ZendeskReceiver(Receiver):
    source = AlertSource.ZENDESK
    request_fields = {"external_id": "id", "dedup_key": "detail.id"}

    def verify(self) -> None:
        secret = require_secret("ZENDESK_WEBHOOK_SECRET", SIGNATURE_HEADER)
        timestamp = self.header(TIMESTAMP_HEADER)
        given = self.header(SIGNATURE_HEADER)
        try:
            signed_at = parse_iso_datetime(timestamp, TIMESTAMP_HEADER)
        except WebhookError as error:
            raise WebhookError(401, TIMESTAMP_HEADER, error.message) from None
        age = abs((timezone.now() - signed_at).total_seconds())
        if age > settings.WEBHOOK_REPLAY_WINDOW_SECONDS:
            raise WebhookError(
                401, TIMESTAMP_HEADER, f"{TIMESTAMP_HEADER} is outside the replay window."
            )
        check_hmac(zendesk_signature(secret, timestamp, self.body), given, SIGNATURE_HEADER)

    def handle(self) -> Reply | list[AlertInput]:
        event = self.json_object()
        event_id = require(event, "id", str)
        event_type = require(event, "type", str)
        if not event_type.startswith(TICKET_EVENT_PREFIX):
            return Reply(
                {"status": "ignored", "note": f"Zendesk event {event_type!r} is not handled."}
            )
        ticket_id = str(require(event, "detail.id", (str, int)))
        detail = event["detail"]
        tags = detail.get("tags") or []
        if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
            raise WebhookError(400, "detail.tags", "detail.tags must be a list of strings.")
        priority = optional(event, "detail.priority", kind=str)
        suggestion = severity_matrix.suggest_for_zendesk(priority, tags)
        status = str(detail.get("status") or "").lower()
        signal = AlertSignal.RECOVERY if status in RESOLVED_STATUSES else AlertSignal.TRIGGER
        subject = detail.get("subject") or f"Ticket {ticket_id}"
        summary = [
            f"Zendesk ticket {ticket_id} ({event_type.removeprefix(TICKET_EVENT_PREFIX)}), "
            f"priority {detail.get('priority') or 'none'}, status {detail.get('status') or '?'}",
            f"Tags: {', '.join(str(tag) for tag in tags)}" if tags else "",
            optional(event, "detail.description", "", kind=str),
        ]
        return [
            AlertInput(
                source=self.source,
                external_id=event_id,
                dedup_key=f"ticket:{ticket_id}",
                signal=signal,
                title=shorten(f"Support escalation #{ticket_id}: {subject}"),
                category=suggestion.category,
                severity=suggestion.severity,
                payload=event,
                summary="\n".join(line for line in summary if line),
                occurred_at=parse_iso_datetime(event.get("time"), "time"),
                service_slugs=suggestion.services,
            )
        ]

    @classmethod
    def sign(
        cls, body: bytes, headers: dict[str, str], context: SigningContext
    ) -> tuple[bytes, dict[str, str]]:
        secret = require_secret("ZENDESK_WEBHOOK_SECRET", SIGNATURE_HEADER)
        timestamp = context.now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        headers = replace_header(headers, TIMESTAMP_HEADER, timestamp)
        return body, replace_header(
            headers, SIGNATURE_HEADER, zendesk_signature(secret, timestamp, body)
        )
