"""Fixtures for the webhook tests: the project's own samples, signed at test time.

No test reaches a real host: every outbound request goes through
``integrations.http.http_session()``, and ``_no_network`` mounts an adapter that refuses
anything a test did not route to a loopback fake itself.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import requests
from requests.adapters import BaseAdapter

from incidents.models import Alert, Incident, TimelineEntry
from integrations.http import mounted
from integrations.models import SnsSubscription
from integrations.webhooks import sns
from integrations.webhooks.deliveries import (
    Delivery,
    load_delivery,
    post_delivery,
    sign_delivery,
    webhook_client,
)

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples" / "deliveries"
SNS_CERTS = ROOT / "samples" / "sns-certs"
SNS_KEY = ROOT / "samples" / "sns-demo-signing-key.pem"


class RefusingAdapter(BaseAdapter):
    """Stands in for the network: tests must never reach a real host."""

    def __init__(self):
        super().__init__()
        self.refused: list[str] = []

    def send(self, request, **kwargs):
        self.refused.append(request.url)
        raise requests.ConnectionError(f"Tests may not reach {request.url}")

    def close(self):
        pass


@pytest.fixture(autouse=True)
def _no_network():
    adapter = RefusingAdapter()
    with mounted("http://", adapter), mounted("https://", adapter):
        yield adapter


@pytest.fixture(autouse=True)
def _sns_demo_certificates(settings):
    settings.SNS_CERT_CACHE_DIR = str(SNS_CERTS)
    settings.SNS_CONFIRM_SUBSCRIPTIONS = False
    sns.clear_certificate_cache()
    yield
    sns.clear_certificate_cache()


@pytest.fixture
def client():
    """Enforces CSRF, as the replay command does: only exempt views accept deliveries."""
    return webhook_client()


def sample(name: str) -> Delivery:
    return load_delivery(SAMPLES / name, name=name)


def signed(name_or_delivery: str | Delivery, now=None) -> Delivery:
    delivery = sample(name_or_delivery) if isinstance(name_or_delivery, str) else name_or_delivery
    return sign_delivery(delivery, now=now, sns_key=SNS_KEY)


def post(client, delivery: Delivery):
    return post_delivery(client, delivery)


def with_json(delivery: Delivery, change) -> Delivery:
    """The delivery with its body parsed, changed in place by ``change``, re-serialised."""
    data = json.loads(delivery.body)
    change(data)
    return replace(delivery, body=json.dumps(data).encode())


def with_sns_message(delivery: Delivery, change) -> Delivery:
    """An SNS delivery whose inner CloudWatch Message is changed by ``change``."""

    def edit(envelope):
        message = json.loads(envelope["Message"])
        change(message)
        envelope["Message"] = json.dumps(message)

    return with_json(delivery, edit)


def with_body(delivery: Delivery, body: bytes) -> Delivery:
    return replace(delivery, body=body)


def with_headers(delivery: Delivery, drop: tuple[str, ...] = (), **changes: str) -> Delivery:
    lowered = {name.lower() for name in drop} | {name.lower().replace("_", "-") for name in changes}
    headers = {k: v for k, v in delivery.headers.items() if k.lower() not in lowered}
    headers.update({name.replace("_", "-"): value for name, value in changes.items()})
    return replace(delivery, headers=headers)


def tamper(delivery: Delivery, needle: bytes, replacement: bytes) -> Delivery:
    """The delivery with its first ``needle`` replaced, its signature left as it was."""
    assert needle in delivery.body
    return replace(delivery, body=delivery.body.replace(needle, replacement, 1))


def counts() -> dict[str, int]:
    return {
        "alerts": Alert.objects.count(),
        "incidents": Incident.objects.count(),
        "timeline": TimelineEntry.objects.count(),
        "subscriptions": SnsSubscription.objects.count(),
        "alert_history": Alert.history.count(),
    }


@pytest.fixture
def no_new_rows(db):
    """Asserts at the end of the test that no row was added anywhere."""
    before = counts()
    yield before
    assert counts() == before


def error_of(response) -> tuple[int, str]:
    return response.status_code, response.json().get("field")
