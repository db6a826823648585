"""Recorded webhook deliveries: load them, re-sign them and post them through the views.

A delivery file is one HTTP request as JSON::

    {"description": "...", "method": "POST", "path": "/webhooks/github/",
     "headers": {"X-GitHub-Event": "ping", ...}, "body": "<raw body, exactly as sent>"}

``path`` may also be a bare source name such as ``"github"``. The replay command and the
tests share these helpers, so a test signs a sample exactly as ``--sign`` does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.test import Client
from django.utils import timezone

from integrations.webhooks.base import SigningContext, get_receiver_class

# samples/sns-demo-signing-key.pem in the project, wherever the command runs from.
DEFAULT_SNS_KEY = Path(__file__).resolve().parents[2] / "samples" / "sns-demo-signing-key.pem"


@dataclass(frozen=True)
class Delivery:
    name: str
    description: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def url(self) -> str:
        if self.path.startswith("/"):
            return self.path
        return f"/webhooks/{self.path.strip('/')}/"

    @property
    def source(self) -> str:
        parts = [part for part in self.url.split("/") if part]
        return parts[1] if len(parts) >= 2 and parts[0] == "webhooks" else ""


def load_delivery(path: Path, name: str | None = None) -> Delivery:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    body = data["body"]
    return Delivery(
        name=name or str(path),
        description=data.get("description", ""),
        method=data.get("method", "POST").upper(),
        path=data["path"],
        headers=dict(data.get("headers") or {}),
        body=body.encode("utf-8") if isinstance(body, str) else bytes(body),
    )


def delivery_files(folder: Path) -> list[Path]:
    folder = Path(folder)
    if folder.is_file():
        return [folder]
    return sorted(
        (path for path in folder.rglob("*.json") if path.is_file()),
        key=lambda path: path.relative_to(folder).as_posix(),
    )


def sign_delivery(
    delivery: Delivery, *, now: datetime | None = None, sns_key: Path | None = DEFAULT_SNS_KEY
) -> Delivery:
    """The delivery signed afresh with the secrets in settings, as of ``now``."""
    receiver_class = get_receiver_class(delivery.source)
    if receiver_class is None:
        raise ValueError(f"{delivery.name}: no receiver for {delivery.url}")
    context = SigningContext(now=now or timezone.now(), sns_key_path=sns_key)
    body, headers = receiver_class.sign(delivery.body, dict(delivery.headers), context)
    return replace(delivery, body=body, headers=headers)


def webhook_client() -> Client:
    """A test client that enforces CSRF, so only exempt views can accept a delivery."""
    allowed = settings.ALLOWED_HOSTS
    host = "testserver" if ("testserver" in allowed or "*" in allowed) else allowed[0]
    return Client(enforce_csrf_checks=True, raise_request_exception=False, HTTP_HOST=host)


def post_delivery(client: Client, delivery: Delivery):
    headers = {k: v for k, v in delivery.headers.items() if k.lower() != "content-type"}
    content_type = next(
        (v for k, v in delivery.headers.items() if k.lower() == "content-type"),
        "application/json",
    )
    return client.generic(
        delivery.method,
        delivery.url,
        data=delivery.body,
        content_type=content_type,
        secure=True,
        headers=headers,
    )
