import base64
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from incidents.choices import AlertSignal, Category, Severity, TimelineKind
from incidents.models import Alert, Incident
from tests.webhooks.conftest import (
    counts,
    post,
    sample,
    signed,
    tamper,
    with_body,
    with_headers,
    with_json,
)

pytestmark = pytest.mark.django_db

TICKET = "zendesk/01-ticket-privacy-escalation.json"
SIGNATURE = "x-zendesk-webhook-signature"
TIMESTAMP = "x-zendesk-webhook-signature-timestamp"
NOW = datetime(2026, 12, 1, 9, 50, 1, tzinfo=UTC)


def another_event(event_id, **detail):
    def change(event):
        event["id"] = event_id
        event["type"] = "zen:event-type:ticket.status_changed"
        event["detail"].update(detail)

    return signed(with_json(sample(TICKET), change))


def test_privacy_escalation_is_a_security_sev1(client):
    response = post(client, signed(TICKET))

    assert response.status_code == 202
    alert = Alert.objects.get(pk=response.json()["alert_id"])
    assert alert.external_id == "4e6a8c0e-2b4d-4f6a-8c0e-3d5f7b9d1f3a"
    assert alert.dedup_key == "ticket:91307"
    incident = alert.incident
    assert (incident.category, incident.severity) == (Category.SECURITY, Severity.SEV1)
    assert [s.slug for s in incident.affected_services.all()] == ["communities-platform"]


def test_another_event_on_the_ticket_attaches(client):
    opened = post(client, signed(TICKET)).json()

    response = post(client, another_event("5f7b9d1f-0000-4000-8000-000000000001", status="OPEN"))

    assert response.status_code == 202
    assert response.json()["incident"] == opened["incident"]
    assert Incident.objects.get().alerts.count() == 2


def test_solved_ticket_is_a_recovery(client):
    opened = post(client, signed(TICKET)).json()

    response = post(client, another_event("5f7b9d1f-0000-4000-8000-000000000002", status="SOLVED"))

    assert response.status_code == 202
    alert = Alert.objects.get(pk=response.json()["alert_id"])
    assert alert.signal == AlertSignal.RECOVERY
    incident = Incident.objects.get(key=opened["incident"])
    assert incident.timeline.filter(kind=TimelineKind.RECOVERY).count() == 1


def test_non_ticket_events_are_ignored(client, no_new_rows):
    def user_event(event):
        event["type"] = "zen:event-type:user.created"

    response = post(client, signed(with_json(sample(TICKET), user_event)))

    assert response.status_code == 200
    assert response.json()["status"] == "ignored"


def test_redelivery_stores_nothing_new(client):
    post(client, signed(TICKET))
    before = counts()

    response = post(client, signed(TICKET))

    assert response.status_code == 200
    assert counts() == before


def test_signature_is_base64_of_the_hmac_over_timestamp_and_body(client):
    delivery = signed(TICKET)
    assert len(base64.b64decode(delivery.headers[SIGNATURE])) == 32
    assert post(client, delivery).status_code == 202


def test_tampered_body_is_refused(client, no_new_rows):
    delivery = tamper(signed(TICKET), b"URGENT", b"LOW")

    response = post(client, delivery)

    assert (response.status_code, response.json()["field"]) == (401, SIGNATURE)


@pytest.mark.parametrize("header", [SIGNATURE, TIMESTAMP])
def test_missing_signature_headers_are_refused(client, header, no_new_rows):
    response = post(client, with_headers(signed(TICKET), drop=(header,)))

    assert (response.status_code, response.json()["field"]) == (401, header)


def test_timestamp_that_is_not_iso_8601_is_refused(client, no_new_rows):
    response = post(client, with_headers(signed(TICKET), **{TIMESTAMP: "yesterday"}))

    assert (response.status_code, response.json()["field"]) == (401, TIMESTAMP)


@pytest.mark.parametrize("offset", [301, -301, 86400])
def test_stale_timestamp_is_refused(client, offset, no_new_rows):
    delivery = signed(TICKET, now=NOW)

    with time_machine.travel(NOW + timedelta(seconds=offset), tick=False):
        response = post(client, delivery)

    assert (response.status_code, response.json()["field"]) == (401, TIMESTAMP)


def test_timestamp_inside_five_minutes_is_accepted(client):
    delivery = signed(TICKET, now=NOW)

    with time_machine.travel(NOW + timedelta(seconds=290), tick=False):
        assert post(client, delivery).status_code == 202


def test_empty_secret_rejects_everything(client, settings, no_new_rows):
    delivery = signed(TICKET)
    settings.ZENDESK_WEBHOOK_SECRET = ""

    response = post(client, delivery)

    assert (response.status_code, response.json()["field"]) == (403, SIGNATURE)


def test_malformed_json_is_refused(client, no_new_rows):
    response = post(client, signed(with_body(sample(TICKET), b"[1, 2")))

    assert (response.status_code, response.json()["field"]) == (400, "body")


@pytest.mark.parametrize("path", ["id", "type", "detail.id"])
def test_missing_fields_are_named(client, path, no_new_rows):
    def drop(event):
        if path == "detail.id":
            del event["detail"]["id"]
        else:
            del event[path]

    response = post(client, signed(with_json(sample(TICKET), drop)))

    assert (response.status_code, response.json()["field"]) == (400, path)
