import json
from datetime import UTC, datetime

import pytest

from incidents.choices import AlertSource, Severity, Status
from incidents.models import Alert, Incident
from incidents.services import incident_transition
from integrations.models import PagerDutyIncident
from integrations.webhooks.pagerduty import pagerduty_signature, zendesk_ticket_id
from tests.factories import make_incident
from tests.webhooks.conftest import (
    counts,
    error_of,
    post,
    sample,
    signed,
    tamper,
    with_body,
    with_headers,
    with_json,
)

pytestmark = pytest.mark.django_db

TRIGGERED = "zendesk/02-pagerduty-escalation-triggered.json"
ACKNOWLEDGED = "zendesk/03-pagerduty-escalation-acknowledged.json"
TICKET = "zendesk/01-ticket-privacy-escalation.json"
SIGNATURE = "X-PagerDuty-Signature"
PD_INCIDENT = "Q3ZD91307ESC0A"


def sign_with(delivery, *secrets: bytes):
    header = ",".join(pagerduty_signature(secret, delivery.body) for secret in secrets)
    return with_headers(delivery, **{SIGNATURE: header})


def event_for(incident_key: str, event_type: str = "incident.acknowledged", **event):
    def change(payload):
        payload["event"]["event_type"] = event_type
        payload["event"]["data"]["incident_key"] = incident_key
        payload["event"].update(event)

    return signed(with_json(sample(ACKNOWLEDGED), change))


def test_escalation_opens_ticket_incident(client):
    response = post(client, signed(TRIGGERED))

    assert response.status_code == 200
    incident = Incident.objects.get()
    assert response.json()["incident"] == incident.key
    alert = incident.alerts.get()
    assert alert.source == AlertSource.ZENDESK
    assert alert.dedup_key == "ticket:91307"
    assert alert.external_id == f"pagerduty:{PD_INCIDENT}"
    assert PagerDutyIncident.objects.get().incident == incident


def test_ticket_webhook_joins_escalation(client):
    opened = post(client, signed(TRIGGERED)).json()["incident"]

    response = post(client, signed(TICKET))

    assert response.status_code == 202
    assert response.json()["incident"] == opened
    assert Incident.objects.count() == 1
    assert Incident.objects.get().alerts.count() == 2


def test_escalation_joins_ticket_incident(client):
    opened = post(client, signed(TICKET)).json()["incident"]

    response = post(client, signed(TRIGGERED))

    assert response.json()["incident"] == opened
    assert Incident.objects.count() == 1
    assert PagerDutyIncident.objects.get().incident.key == opened


def test_own_trigger_is_linked(client, staff_actor):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV1)

    response = post(client, event_for(incident.key, "incident.triggered"))

    assert response.json()["incident"] == incident.key
    assert Incident.objects.count() == 1
    link = PagerDutyIncident.objects.get()
    assert (link.incident, link.pagerduty_id) == (incident, PD_INCIDENT)


def test_acknowledgement_sets_mtta(client, staff_actor, time_machine):
    time_machine.move_to(datetime(2026, 12, 1, 9, 50, tzinfo=UTC), tick=False)
    incident = make_incident(actor=staff_actor, severity=Severity.SEV1)
    # The webhook arrives after the acknowledgement it reports.
    time_machine.move_to(datetime(2026, 12, 1, 9, 54, tzinfo=UTC), tick=False)

    response = post(client, event_for(incident.key))

    assert response.status_code == 200
    incident.refresh_from_db()
    assert incident.acknowledged_at == datetime(2026, 12, 1, 9, 53, 10, tzinfo=UTC)
    assert incident.time_to_acknowledge.total_seconds() == 190
    entry = incident.timeline.get(actor_integration="pagerduty")
    assert entry.text == "Acknowledged in PagerDuty by PXK2M9L"


def test_acknowledgement_before_detection_counts_zero(client, staff_actor):
    # The sample acknowledges on 2026-12-01, before this incident was detected.
    incident = make_incident(actor=staff_actor, severity=Severity.SEV1)

    post(client, event_for(incident.key))

    incident.refresh_from_db()
    assert incident.acknowledged_at == incident.detected_at
    assert incident.time_to_acknowledge.total_seconds() == 0


def test_redelivered_acknowledgement_changes_nothing(client):
    post(client, signed(TRIGGERED))
    post(client, signed(ACKNOWLEDGED))
    before = counts()

    response = post(client, signed(ACKNOWLEDGED))

    assert response.status_code == 200
    assert counts() == before
    acknowledgements = Incident.objects.get().timeline.filter(text__startswith="Acknowledged")
    assert acknowledgements.count() == 1


def test_acknowledgement_of_unknown_incident(client, no_new_rows):
    response = post(client, event_for("not-ours"))

    assert response.status_code == 200
    assert response.json() == {
        "status": "ignored",
        "event_type": "incident.acknowledged",
        "incident": None,
    }


def test_ping_and_other_events(client, no_new_rows):
    ping = post(client, event_for("", "pagey.ping"))
    resolved = post(client, event_for("", "incident.resolved"))

    assert (ping.status_code, ping.json()["status"]) == (200, "pong")
    assert (resolved.status_code, resolved.json()["status"]) == (200, "ignored")


def test_tampered_signature_is_rejected(client, no_new_rows):
    response = post(client, tamper(signed(TRIGGERED), b"91307", b"91308"))

    assert error_of(response) == (401, SIGNATURE)


def test_missing_signature_is_rejected(client, no_new_rows):
    response = post(client, with_headers(signed(TRIGGERED), drop=(SIGNATURE,)))

    assert error_of(response) == (401, SIGNATURE)


def test_signature_without_v1_is_rejected(client, no_new_rows):
    response = post(client, with_headers(signed(TRIGGERED), **{SIGNATURE: "v0=abc"}))

    assert error_of(response) == (401, SIGNATURE)
    assert "no v1=" in response.json()["error"]


def test_any_rotated_signature_verifies(client, settings):
    # given: PagerDuty signs with the old and the new secret, and we hold only the new one
    settings.PAGERDUTY_WEBHOOK_SECRETS = ["pd-new-secret"]
    delivery = sign_with(sample(TRIGGERED), b"pd-old-secret", b"pd-new-secret")

    response = post(client, delivery)

    assert response.status_code == 200
    assert Incident.objects.count() == 1


def test_any_configured_secret_verifies(client, settings):
    settings.PAGERDUTY_WEBHOOK_SECRETS = ["pd-old-secret", "pd-new-secret"]

    response = post(client, sign_with(sample(TRIGGERED), b"pd-old-secret"))

    assert response.status_code == 200


def test_unset_secret_rejects_everything(client, settings, no_new_rows):
    delivery = signed(TRIGGERED)
    settings.PAGERDUTY_WEBHOOK_SECRETS = []

    response = post(client, delivery)

    assert error_of(response) == (403, SIGNATURE)
    assert "PAGERDUTY_WEBHOOK_SECRETS" in response.json()["error"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda p: p["event"].pop("event_type"), "event.event_type"),
        (lambda p: p["event"]["data"].pop("id"), "event.data.id"),
        (lambda p: p["event"]["data"].pop("title"), "event.data.title"),
        (lambda p: p["event"]["data"].update(incident_key=7), "event.data.incident_key"),
    ],
    ids=["event-type", "incident-id", "title", "incident-key-type"],
)
def test_missing_fields_are_named(client, no_new_rows, change, field):
    response = post(client, signed(with_json(sample(TRIGGERED), change)))

    assert error_of(response) == (400, field)


def test_bad_acknowledgement_time_is_named(client, no_new_rows):
    delivery = with_json(sample(ACKNOWLEDGED), lambda p: p["event"].update(occurred_at="yesterday"))

    response = post(client, signed(delivery))

    assert error_of(response) == (400, "event.occurred_at")


def test_malformed_json_is_rejected(client, no_new_rows):
    response = post(client, signed(with_body(sample(TRIGGERED), b'{"event": ')))

    assert error_of(response) == (400, "body")


@pytest.mark.parametrize(
    ("incident_key", "title", "expected"),
    [
        ("zendesk-ticket-91307", "", "91307"),
        ("Zendesk:4521", "", "4521"),
        ("", "Zendesk ticket #812: Login fails", "812"),
        ("INC-2026-0001", "API p95 above 250 ms", ""),
        ("a1b2c3", "Ticket 17 in the queue", ""),
        ("", "Zendesk 2FA codes are not delivered", ""),
        ("", "zendesk 2026 outage: ticket #77", ""),
        ("zendesk-ticket-0", "", ""),
        ("zendesk-ticket-007", "", "7"),
        ("zendesk-ticket-12a", "", ""),
        ("zendesk-ticket-\u0661\u0662", "", ""),
    ],
)
def test_zendesk_ticket_id(incident_key, title, expected):
    assert zendesk_ticket_id(incident_key, title) == expected


def test_alert_payload_is_the_event(client):
    post(client, signed(TRIGGERED))

    alert = Alert.objects.get()
    assert alert.payload == json.loads(sample(TRIGGERED).body)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda p: p["event"]["data"].update(id="P" * 65), "event.data.id"),
        (lambda p: p["event"]["data"].update(incident_key="k" * 256), "event.data.incident_key"),
        (
            lambda p: p["event"]["data"].update(html_url="https://x.pagerduty.com/" + "a" * 480),
            "event.data.html_url",
        ),
        (lambda p: p["event"]["data"].update(urgency={"level": "high"}), "event.data.urgency"),
        (lambda p: p["event"]["data"].update(html_url=5), "event.data.html_url"),
        (lambda p: p["event"]["data"].update(title="   "), "event.data.title"),
    ],
    ids=["id-length", "key-length", "url-length", "urgency-type", "url-type", "blank-title"],
)
def test_invalid_trigger_fields_are_named(client, no_new_rows, change, field):
    response = post(client, signed(with_json(sample(TRIGGERED), change)))

    assert error_of(response) == (400, field)
    assert not PagerDutyIncident.objects.exists()


@pytest.mark.parametrize(
    ("agent", "field"),
    [("PXK2M9L", "event.agent"), ({"id": 7}, "event.agent.id")],
    ids=["agent-string", "agent-id-number"],
)
def test_invalid_agent_is_named(client, staff_actor, agent, field):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV1)

    response = post(client, event_for(incident.key, agent=agent))

    assert error_of(response) == (400, field)
    incident.refresh_from_db()
    assert incident.acknowledged_at is None


def close(incident, actor):
    incident = incident_transition(
        incident=incident, actor=actor, to_status=Status.RESOLVED, override_reason="Test"
    )
    return incident_transition(incident=incident, actor=actor, to_status=Status.CLOSED)


def test_trigger_naming_closed_incident_opens_another(client, staff_actor):
    closed = close(make_incident(actor=staff_actor, severity=Severity.SEV3), staff_actor)

    response = post(client, event_for(closed.key, "incident.triggered"))

    assert response.status_code == 200
    opened = Incident.objects.get(key=response.json()["incident"])
    assert opened != closed
    assert PagerDutyIncident.objects.get().incident == opened


@pytest.mark.parametrize("linked", [False, True], ids=["by-key", "by-link"])
def test_acknowledgement_of_closed_incident_changes_nothing(client, staff_actor, linked):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV3)
    if linked:
        post(client, event_for(incident.key, "incident.triggered"))
    closed = close(incident, staff_actor)
    acknowledged_at = closed.acknowledged_at
    entries = closed.timeline.count()

    response = post(client, event_for(closed.key))

    assert response.json()["status"] == "ignored"
    closed.refresh_from_db()
    assert closed.acknowledged_at == acknowledged_at
    assert closed.timeline.count() == entries


def test_future_acknowledgement_counts_as_now(client, staff_actor, time_machine):
    now = datetime(2026, 12, 1, 9, 50, tzinfo=UTC)
    time_machine.move_to(now, tick=False)
    incident = make_incident(actor=staff_actor, severity=Severity.SEV1)

    post(client, event_for(incident.key, occurred_at="2099-01-01T00:00:00Z"))

    incident.refresh_from_db()
    assert incident.acknowledged_at == now


def test_secrets_setting_as_string_is_a_list(client, settings):
    settings.PAGERDUTY_WEBHOOK_SECRETS = "pd-old-secret,pd-new-secret"

    one_character = post(client, sign_with(sample(TRIGGERED), b"p"))
    whole_secret = post(client, sign_with(sample(TRIGGERED), b"pd-new-secret"))

    assert error_of(one_character) == (401, SIGNATURE)
    assert whole_secret.status_code == 200


def test_acknowledgement_before_trigger_is_kept(client, time_machine):
    # given: PagerDuty delivers the acknowledgement of an escalation before its trigger
    time_machine.move_to(datetime(2026, 12, 1, 9, 50, tzinfo=UTC), tick=False)
    first = post(client, signed(ACKNOWLEDGED))
    assert first.json()["status"] == "ignored"
    assert not Incident.objects.exists()

    # when
    response = post(client, signed(TRIGGERED))

    # then: the incident it opens counts the earlier acknowledgement
    incident = Incident.objects.get(key=response.json()["incident"])
    assert incident.acknowledged_at == incident.detected_at
    entry = incident.timeline.get(text__startswith="Acknowledged in PagerDuty")
    assert entry.text == "Acknowledged in PagerDuty by PXK2M9L"
    link = PagerDutyIncident.objects.get()
    assert link.incident == incident


def test_long_agent_id_is_named(client, no_new_rows):
    delivery = with_json(sample(ACKNOWLEDGED), lambda p: p["event"]["agent"].update(id="P" * 65))

    assert error_of(post(client, signed(delivery))) == (400, "event.agent.id")
