"""Helpers shared by the vendor modules for describing and checking HTTP calls."""

import ssl
from typing import Any

from django.conf import settings

from integrations.errors import DeliveryError, TransientDeliveryError, error_for_status

REDACTED = "[redacted]"
BODY_EXCERPT_CHARS = 300


def describe_request(
    method: str, url: str, *, json: Any = None, params: dict | None = None
) -> dict[str, Any]:
    """Return a request as stored on an outbox row: method, URL, query and JSON body.

    Credentials travel in headers or are replaced by REDACTED before this is called, so
    the stored request never contains a secret.
    """
    request: dict[str, Any] = {"method": method, "url": url}
    if params:
        request["params"] = params
    if json is not None:
        request["json"] = json
    return request


def join_url(base: str, path: str) -> str:
    return base.rstrip("/") + "/" + path.lstrip("/")


def status_error(
    vendor: str, what: str, status: int, body: str, retry_after: float | None = None
) -> DeliveryError:
    """Return the error for a failed HTTP response, with an excerpt of its body."""
    excerpt = " ".join(body.split())[:BODY_EXCERPT_CHARS]
    message = f"{vendor} {what} returned HTTP {status}: {excerpt or '(empty body)'}"
    if status < 400:
        # A success status with a body that cannot be read: the call may have worked,
        # and the operations are idempotent, so it is sent again.
        return TransientDeliveryError(f"{vendor} {what} returned a malformed response: {excerpt}")
    return error_for_status(status, message, retry_after)


def ca_bundle() -> str | None:
    """Return the INTEGRATIONS_CA_BUNDLE path, or None to trust the system's authorities."""
    return settings.INTEGRATIONS_CA_BUNDLE or None


def tls_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=ca_bundle())
