"""The webhook receiver base: one dispatch view, a registry of receivers, one error type.

Every provider posts to ``/webhooks/<source>/``. The dispatch view does what all of them
share, in this order, and a receiver supplies only what is particular to its provider:

1. Look up ``source`` in ``RECEIVERS``: an unknown source answers 404 naming it.
2. Refuse anything but POST with 405 (and an ``Allow: POST`` header).
3. Refuse a body over ``settings.WEBHOOK_MAX_BODY_BYTES`` with 413: first by its
   Content-Length, before reading, then by the bytes actually read.
4. ``receiver.verify()`` checks the signature over the raw body bytes, before anything
   parses them. Only a verified body is parsed. (SNS is the one exception by design:
   its signature sits inside the JSON envelope, so verify reads the envelope's fields,
   and the alarm inside ``Message`` is parsed only once the signature holds.)
5. ``receiver.handle()`` parses the body and returns either a ``Reply`` (a ping, an
   event this receiver ignores, a subscription handshake) or a list of
   ``incidents.services.AlertInput``. It runs inside one transaction together with
   ``alert_ingest`` for every alert it returns, so a delivery is stored whole or not
   at all.
6. The answer is 202 with the stored alert ids and incident keys when a new alert was
   stored, 200 for a redelivery (every alert already stored) or a ``Reply``.

Any ``WebhookError(status, field, message)`` raised along the way rolls everything back
and is rendered as ``{"error": message, "field": field}`` with that status.

Writing a receiver
------------------
Subclass ``Receiver`` in its own module of this package and add one line to
``RECEIVERS`` below::

    class PagerDutyReceiver(Receiver):
        source = AlertSource.PAGERDUTY   # the Alert.source value it stores

        def verify(self) -> None:
            # Check headers and self.body (bytes, exactly as received); raise
            # WebhookError(401, "<header>", "...") when the signature does not match.
            # Compare with hmac.compare_digest; never log a secret or a signature.
            ...

        def handle(self) -> Reply | list[AlertInput]:
            payload = self.json_object()          # 400 naming "body" if malformed
            event = require(payload, "event")     # 400 naming "event" if missing
            ...                                   # ask incidents.severity_matrix
            return [AlertInput(...)]

        @classmethod
        def sign(cls, body, headers, context):   # for `replay_deliveries --sign`
            return body, {**headers, "X-PagerDuty-Signature": "v1=..."}

On a receiver instance, ``self.request`` is the Django request, ``self.body`` the raw
bytes and ``self.headers`` the request's case-insensitive headers. Classification
(category, severity, services) belongs in ``incidents/severity_matrix.py`` alone.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.utils.module_loading import import_string
from django.views.decorators.csrf import csrf_exempt

from incidents.services import AlertInput, IngestResult, alert_ingest

logger = logging.getLogger(__name__)

# The registry: URL source name -> receiver class. One line per receiver.
RECEIVERS: dict[str, str] = {
    "cloudwatch": "integrations.webhooks.cloudwatch.CloudWatchReceiver",
    "github": "integrations.webhooks.github.GitHubReceiver",
    "crashlytics": "integrations.webhooks.crashlytics.CrashlyticsReceiver",
    "zendesk": "integrations.webhooks.zendesk.ZendeskReceiver",
    "pagerduty": "integrations.webhooks.pagerduty.PagerDutyReceiver",
    "jira": "integrations.webhooks.jira.JiraReceiver",
}

INCIDENT_TITLE_MAX = 200


class WebhookError(Exception):
    """A delivery refused: rendered as ``{"error": message, "field": field}``."""

    def __init__(self, status: int, field: str, message: str):
        super().__init__(message)
        self.status = status
        self.field = field
        self.message = message

    def response(self) -> JsonResponse:
        return JsonResponse({"error": self.message, "field": self.field}, status=self.status)


@dataclass(frozen=True)
class Reply:
    """An answer that stores no alert: a ping, an ignored event, a handshake."""

    data: dict[str, Any]
    status: int = 200


@dataclass(frozen=True)
class SigningContext:
    """What ``Receiver.sign`` may use when re-signing a sample at replay time."""

    now: datetime
    sns_key_path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Receiver:
    """One provider's webhook. See the module docstring for the interface."""

    source: str = ""
    # The request field or header that each stored model field comes from, so that a
    # model validation error names what the sender can fix.
    request_fields: dict[str, str] = {}

    def __init__(self, request: HttpRequest, body: bytes):
        self.request = request
        self.body = body
        self.headers = request.headers

    def verify(self) -> None:
        raise NotImplementedError

    def handle(self) -> Reply | list[AlertInput]:
        raise NotImplementedError

    @classmethod
    def sign(
        cls, body: bytes, headers: dict[str, str], context: SigningContext
    ) -> tuple[bytes, dict[str, str]]:
        """Return the delivery signed afresh, for replaying samples."""
        raise NotImplementedError(f"{cls.__name__} cannot re-sign deliveries.")

    # Helpers for subclasses.

    def header(self, name: str) -> str:
        """A required header's value; 401 naming it when it is missing or empty."""
        value = self.headers.get(name, "").strip()
        if not value:
            raise WebhookError(401, name, f"The {name} header is missing.")
        return value

    def json_object(self, raw: bytes | str | None = None, field_name: str = "body") -> dict:
        return parse_json_object(self.body if raw is None else raw, field_name)


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range for a JSON number")
    return value


def parse_json_object(raw: bytes | str, field_name: str = "body") -> dict:
    try:
        value = json.loads(raw, parse_constant=_reject_constant, parse_float=_finite_float)
    except RecursionError:
        raise WebhookError(400, field_name, f"{field_name} is nested too deeply.") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise WebhookError(400, field_name, f"{field_name} is not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise WebhookError(400, field_name, f"{field_name} must be a JSON object.")
    _check_storable_text(value)
    return value


def _check_storable_text(value: Any) -> None:
    """Reject NUL characters and lone surrogates, which no database text column accepts."""
    stack = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                child_path = f"{path}.{key}" if path else str(key)
                stack.append((child_path, key))
                stack.append((child_path, child))
        elif isinstance(item, list):
            stack.extend((f"{path}.{n}" if path else str(n), child) for n, child in enumerate(item))
        elif isinstance(item, str):
            if "\x00" in item:
                raise WebhookError(
                    400, path or "body", f"{path or 'body'} contains a NUL character."
                )
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise WebhookError(
                    400, path or "body", f"{path or 'body'} contains a lone surrogate."
                ) from None


_MISSING = object()


def require(data: Any, path: str, kind: type | tuple[type, ...] | None = None) -> Any:
    """The value at a dotted path, or a 400 naming that path when it is absent or empty."""
    value: Any = data
    for part in path.split("."):
        value = value.get(part, _MISSING) if isinstance(value, dict) else _MISSING
        if value is _MISSING:
            break
    if value is _MISSING or value is None or value == "":
        raise WebhookError(400, path, f"The field {path} is missing.")
    if kind is not None and not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise WebhookError(400, path, f"The field {path} must be a {names}.")
    return value


def optional(
    data: Any,
    path: str,
    default: Any = None,
    kind: type | tuple[type, ...] | None = None,
    at: str = "",
) -> Any:
    """Return the value at a dotted path, or ``default`` when it is absent or null.

    A value that is not of ``kind`` raises a 400 naming its path. ``at`` is the path of
    ``data`` itself in the delivery, used only to name the field.
    """
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return default
        value = value[part]
    if value is None:
        return default
    if kind is not None and not isinstance(value, kind):
        name = f"{at}.{path}" if at else path
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise WebhookError(400, name, f"The field {name} must be a {names}.")
    return value


def hub_signature(secret: bytes, body: bytes) -> str:
    """Return ``sha256=<hex HMAC-SHA256(secret, body)>``, the WebSub form GitHub and Jira send."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def check_hmac(expected: str, given: str, header: str) -> None:
    """Compare in constant time; 401 naming the header on a mismatch."""
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise WebhookError(401, header, f"The {header} signature does not match the body.")


def require_secret(setting_name: str, header: str) -> bytes:
    secret = getattr(settings, setting_name, "") or ""
    if not secret:
        raise WebhookError(
            403,
            header,
            f"{setting_name} is not set, so every delivery is refused: set it to the "
            "secret configured at the provider.",
        )
    return secret.encode()


def parse_iso_datetime(value: Any, field_name: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise WebhookError(400, field_name, f"{field_name} is not an ISO 8601 time.") from None
    if parsed.tzinfo is None:
        raise WebhookError(400, field_name, f"{field_name} has no time zone.")
    try:
        # Stored as UTC: a time whose UTC form falls outside years 1-9999 cannot be stored
        # or read back.
        return parsed.astimezone(UTC)
    except OverflowError:
        raise WebhookError(400, field_name, f"{field_name} is out of range.") from None


def shorten(text: str, limit: int = INCIDENT_TITLE_MAX) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def replace_header(headers: dict[str, str], name: str, value: str) -> dict[str, str]:
    """A copy of headers with ``name`` set, whatever case it was written in before."""
    kept = {key: val for key, val in headers.items() if key.lower() != name.lower()}
    kept[name] = value
    return kept


def get_receiver_class(source: str) -> type[Receiver] | None:
    dotted = RECEIVERS.get(source)
    if dotted is None:
        return None
    receiver_class = import_string(dotted)
    if not (isinstance(receiver_class, type) and issubclass(receiver_class, Receiver)):
        raise TypeError(f"{dotted} is not a Receiver subclass.")
    return receiver_class


def _read_body(request: HttpRequest) -> bytes:
    limit = settings.WEBHOOK_MAX_BODY_BYTES
    raw_length = request.META.get("CONTENT_LENGTH") or ""
    if raw_length:
        try:
            length = int(raw_length)
        except ValueError:
            raise WebhookError(400, "Content-Length", "Content-Length is not a number.") from None
        if length > limit:
            raise WebhookError(
                413, "Content-Length", f"The body is {length} bytes, over the {limit} limit."
            )
    if getattr(request, "_body", None) is not None:
        body = request._body  # already read by something earlier in the stack
    else:
        body = request.read(limit + 1)
    if len(body) > limit:
        raise WebhookError(413, "body", f"The body is over the {limit} byte limit.")
    return body


def _accepted(results: list[IngestResult]) -> JsonResponse:
    alerts = [
        {
            "alert_id": result.alert.pk,
            "incident": result.incident.key if result.incident else None,
            "duplicate": result.duplicate,
            "opened_incident": result.opened_incident,
        }
        for result in results
    ]
    duplicate = all(result.duplicate for result in results)
    first = alerts[0] if alerts else {"alert_id": None, "incident": None}
    return JsonResponse(
        {
            "status": "duplicate" if duplicate else "accepted",
            "alert_id": first["alert_id"],
            "incident": first["incident"],
            "alerts": alerts,
        },
        status=200 if duplicate else 202,
    )


@csrf_exempt
def dispatch(request: HttpRequest, source: str) -> JsonResponse:
    """The one view behind every ``/webhooks/<source>/``."""
    receiver_class = get_receiver_class(source)
    if receiver_class is None:
        return WebhookError(404, "source", f"No webhook receiver for source {source!r}.").response()
    if request.method != "POST":
        response = WebhookError(
            405, "method", f"{request.method} is not allowed here: deliveries are POSTed."
        ).response()
        response["Allow"] = "POST"
        return response

    try:
        body = _read_body(request)
        receiver = receiver_class(request, body)
        receiver.verify()
        with transaction.atomic():
            outcome = receiver.handle()
            if isinstance(outcome, Reply):
                response = JsonResponse(outcome.data, status=outcome.status)
            else:
                if not outcome:
                    raise WebhookError(400, "body", "The delivery describes no alert.")
                response = _accepted([alert_ingest(alert) for alert in outcome])
    except WebhookError as error:
        logger.warning(
            "Refused %s webhook: %s %s (%s)", source, error.status, error.field, error.message
        )
        return error.response()
    except ValidationError as error:
        logger.warning("Refused %s webhook: invalid alert %s", source, error.messages)
        name = next(iter(getattr(error, "message_dict", {}) or {"body": None}))
        name = receiver_class.request_fields.get(name, name)
        return WebhookError(422, name, "; ".join(error.messages)).response()

    logger.info("Accepted %s webhook with status %s", source, response.status_code)
    return response
