"""Slack: incident timelines in the private war room, approved updates in the status channel.

Each incident has one thread per channel. The ts of its first message is stored and
used for every reply and for updates of that first message, so a reply sent again
after a lost response lands in the same thread.
"""

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from integrations.calls import describe_request, join_url, tls_context
from integrations.errors import (
    DeliveryError,
    NotReadyError,
    PermanentDeliveryError,
    TransientDeliveryError,
    parse_retry_after,
)
from integrations.models import OutboxMessage, OutboxStatus, SlackThread, Target
from integrations.registry import Delivery, operation, register_integration

logger = logging.getLogger(__name__)

# Slack API error codes that a later attempt can get past.
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
# slack_sdk reports a body that is not JSON as this error text.
UNREADABLE_BODY_PREFIX = "Received a response in a non-JSON format"
THREAD_PARENT = "parent"
THREAD_REPLY = "reply"
NO_THREAD = "none"


def escape(text: str) -> str:
    """Escape &, < and > as Slack's message formatting requires.

    Unescaped, text from a ticket or an alert could mention <!channel> or disguise a link
    as <https://example.org|anything>. Markup added around the escaped text still works.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def is_configured() -> bool:
    return bool(settings.SLACK_BOT_TOKEN)


register_integration(Target.SLACK, is_configured, ("SLACK_BOT_TOKEN",))


def web_client() -> WebClient:
    # No retry handlers: the outbox retries, and honours Retry-After on a 429.
    return WebClient(
        token=settings.SLACK_BOT_TOKEN,
        base_url=settings.SLACK_API_URL,
        timeout=settings.INTEGRATIONS_HTTP_TIMEOUT_SECONDS,
        ssl=tls_context(),
        retry_handlers=[],
    )


@contextlib.contextmanager
def _slack_errors(method: str) -> Iterator[None]:
    """Re-raise slack_sdk errors as delivery errors.

    chat.postMessage returns HTTP 200 with "ok": false on failure. slack_sdk raises
    SlackApiError for that too, and the error code decides whether to retry.
    """
    try:
        yield
    except SlackApiError as error:
        raise _api_error(method, error) from None
    except SlackClientError as error:
        raise PermanentDeliveryError(f"Slack {method} was not sent: {error}") from None
    except (OSError, TimeoutError) as error:
        # urllib raises URLError (an OSError) on connection errors, TimeoutError on timeouts.
        raise TransientDeliveryError(f"Slack {method} failed: {type(error).__name__}") from None


def _api_error(method: str, error: SlackApiError) -> DeliveryError:
    response = error.response
    status = response.status_code
    data = response.data if isinstance(response.data, dict) else {}
    code = str(data.get("error", ""))
    message = f"Slack {method} returned HTTP {status}, error {code or '(none)'}"
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    if status == 429 or code == "ratelimited":
        return TransientDeliveryError(message, status=status, retry_after=retry_after)
    if status >= 500 or code in TRANSIENT_ERRORS or code.startswith(UNREADABLE_BODY_PREFIX):
        return TransientDeliveryError(message, status=status)
    return PermanentDeliveryError(message, status=status)


def _thread_parent_row(message: OutboxMessage) -> OutboxMessage | None:
    return (
        OutboxMessage.objects.filter(
            target=Target.SLACK,
            incident_id=message.incident_id,
            operation="post_message",
            payload__channel=message.payload["channel"],
            payload__thread=THREAD_PARENT,
        )
        .order_by("pk")
        .first()
    )


def _thread_ts(message: OutboxMessage, dry_run: bool) -> str | None:
    """Return the ts to reply under, None to post without a thread, or raise NotReadyError."""
    thread = SlackThread.objects.filter(
        incident_id=message.incident_id, channel=message.payload["channel"]
    ).first()
    if thread is not None:
        return thread.ts
    parent = _thread_parent_row(message)
    if dry_run:
        return "[ts of the thread's first message]" if parent is not None else None
    if parent is None or parent.status in (OutboxStatus.FAILED, OutboxStatus.DRY_RUN):
        return None
    raise NotReadyError(f"The thread's first message (outbox row {parent.pk}) is not sent yet.")


def _check_public(message: OutboxMessage) -> None:
    if message.payload["channel"] != settings.SLACK_STATUS_CHANNEL:
        return
    incident = message.incident
    if incident is None or incident.private:
        # Checked again here because an incident can be made private after the row was written.
        raise PermanentDeliveryError(
            f"Not posted: {incident.key if incident else 'the incident'} is private, and "
            f"private incidents are never posted to {settings.SLACK_STATUS_CHANNEL}."
        )


@operation(Target.SLACK, "post_message", is_configured=is_configured)
def post_message(message: OutboxMessage, dry_run: bool) -> Delivery:
    payload = message.payload
    _check_public(message)
    if payload["thread"] == THREAD_PARENT:
        existing = SlackThread.objects.filter(
            incident_id=message.incident_id, channel=payload["channel"]
        ).first()
        if existing is not None:
            return Delivery(request={}, response={"reused": True}, external_id=existing.ts)

    arguments: dict[str, Any] = {"channel": payload["channel"], "text": payload["text"]}
    if payload["thread"] == THREAD_REPLY:
        thread_ts = _thread_ts(message, dry_run)
        if thread_ts is not None:
            arguments["thread_ts"] = thread_ts
    request = describe_request(
        "POST", join_url(settings.SLACK_API_URL, "chat.postMessage"), json=arguments
    )
    if dry_run:
        return Delivery(request=request)

    with _slack_errors("chat.postMessage"):
        response = web_client().chat_postMessage(**arguments)
    ts = response.get("ts")
    channel_id = response.get("channel")
    if not ts or not channel_id:
        raise TransientDeliveryError("Slack chat.postMessage returned no ts or channel.")
    if payload["thread"] == THREAD_PARENT:
        # NOTE: a worker that dies between chat.postMessage and this save posts the message
        # again when the row is retried, unlike the other vendors' calls, which look up
        # what they created. Later replies all use the ts stored here.
        SlackThread.objects.create(
            incident_id=message.incident_id,
            channel=payload["channel"],
            channel_id=channel_id,
            ts=ts,
        )
    return Delivery(request=request, response={"channel": channel_id, "ts": ts}, external_id=ts)


@operation(Target.SLACK, "update_thread_parent", is_configured=is_configured)
def update_thread_parent(message: OutboxMessage, dry_run: bool) -> Delivery:
    """Rewrite the first message of the incident's thread, which shows its current status."""
    payload = message.payload
    thread = SlackThread.objects.filter(
        incident_id=message.incident_id, channel=payload["channel"]
    ).first()
    channel_id = thread.channel_id if thread else "[channel id]"
    ts = thread.ts if thread else "[ts of the thread's first message]"
    arguments = {"channel": channel_id, "ts": ts, "text": payload["text"]}
    request = describe_request(
        "POST", join_url(settings.SLACK_API_URL, "chat.update"), json=arguments
    )
    if dry_run:
        return Delivery(request=request)
    if thread is None:
        raise PermanentDeliveryError(
            f"Not updated: the incident has no thread in {payload['channel']}, because its "
            "first message failed."
        )

    with _slack_errors("chat.update"):
        response = web_client().chat_update(**arguments)
    return Delivery(request=request, response={"ts": response.get("ts")}, external_id=ts)
