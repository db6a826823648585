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

FATAL = "crashlytics/01-new-fatal-issue.json"
VELOCITY = "crashlytics/02-velocity-same-issue.json"
SIGNATURE = "X-Relay-Signature"
TIMESTAMP = "X-Relay-Timestamp"
NOW = datetime(2026, 12, 1, 9, 40, tzinfo=UTC)


def test_new_fatal_issue_opens_an_incident(client):
    response = post(client, signed(FATAL))

    assert response.status_code == 202
    alert = Alert.objects.get(pk=response.json()["alert_id"])
    assert alert.external_id == "0f7c2d4e-6a8b-4c1d-9e3f-5a7b9c1d3e5f"
    assert alert.dedup_key == "issue:c5e3f1a9b7d24e80"
    incident = alert.incident
    assert (incident.category, incident.severity) == (Category.AVAILABILITY, Severity.SEV2)
    assert [s.slug for s in incident.affected_services.all()] == ["mobile-apps"]


def test_velocity_for_the_same_issue_attaches(client):
    opened = post(client, signed(FATAL)).json()

    response = post(client, signed(VELOCITY))

    assert response.status_code == 202
    assert response.json()["incident"] == opened["incident"]
    incident = Incident.objects.get()
    assert incident.alerts.count() == 2
    velocity = incident.alerts.get(external_id="2b4d6f8a-0c2e-4a6b-8d0f-1e3a5c7e9b2d")
    assert velocity.suggested_severity == Severity.SEV1
    assert "1843 crashes" in velocity.summary
    assert incident.timeline.filter(kind=TimelineKind.ALERT).count() == 2


def test_regression_is_a_trigger(client):
    def regression(event):
        event["alerttype"] = "crashlytics.regression"
        event["data"]["payload"]["type"] = "fatal"

    response = post(client, signed(with_json(sample(FATAL), regression)))

    assert response.status_code == 202
    alert = Alert.objects.get()
    assert (alert.signal, alert.suggested_severity) == (AlertSignal.TRIGGER, Severity.SEV3)


def test_stability_digest_stores_one_alert_per_issue_in_one_delivery(client):
    opened = post(client, signed(FATAL)).json()

    def digest(event):
        issue = event["data"]["payload"]["issue"]
        event["id"] = "digest-2026-12-01"
        event["alerttype"] = "crashlytics.stabilityDigest"
        event["data"]["payload"] = {
            "digestDate": "2026-12-01T00:00:00Z",
            "trendingIssues": [
                {"type": "fatal", "issue": issue, "eventCount": 1900, "userCount": 700},
                {
                    "type": "nonFatal",
                    "issue": {"id": "d1e2f3a4b5c6d7e8", "title": "Timeout"},
                    "eventCount": 40,
                    "userCount": 31,
                },
            ],
        }

    response = post(client, signed(with_json(sample(FATAL), digest)))

    assert response.status_code == 202
    alerts = response.json()["alerts"]
    assert [a["incident"] for a in alerts] == [opened["incident"], None]
    assert Incident.objects.count() == 1
    assert set(
        Alert.objects.filter(signal=AlertSignal.INFO).values_list("external_id", flat=True)
    ) == {
        "digest-2026-12-01/c5e3f1a9b7d24e80",
        "digest-2026-12-01/d1e2f3a4b5c6d7e8",
    }


def test_digest_with_one_bad_issue_stores_none_of_them(client, no_new_rows):
    def digest(event):
        event["alerttype"] = "crashlytics.stabilityDigest"
        event["data"]["payload"] = {
            "trendingIssues": [
                {"issue": {"id": "a1", "title": "ok"}},
                {"issue": {"title": "no id"}},
            ]
        }

    response = post(client, signed(with_json(sample(FATAL), digest)))

    assert (response.status_code, response.json()["field"]) == (
        400,
        "data.payload.trendingIssues.1.issue.id",
    )


def test_other_firebase_alerts_are_ignored(client, no_new_rows):
    def billing(event):
        event["alerttype"] = "billing.planUpdate"

    response = post(client, signed(with_json(sample(FATAL), billing)))

    assert response.status_code == 200
    assert response.json()["status"] == "ignored"


def test_redelivery_stores_nothing_new(client):
    post(client, signed(FATAL))
    before = counts()

    response = post(client, signed(FATAL))  # signed again, as a retry would be

    assert response.status_code == 200
    assert counts() == before


def test_tampered_body_is_refused(client, no_new_rows):
    delivery = tamper(signed(FATAL), b"c5e3f1a9b7d24e80", b"c5e3f1a9b7d24e81")

    response = post(client, delivery)

    assert (response.status_code, response.json()["field"]) == (401, SIGNATURE)


@pytest.mark.parametrize("header", [SIGNATURE, TIMESTAMP])
def test_missing_signature_headers_are_refused(client, header, no_new_rows):
    response = post(client, with_headers(signed(FATAL), drop=(header,)))

    assert (response.status_code, response.json()["field"]) == (401, header)


def test_timestamp_is_part_of_the_signature(client, no_new_rows):
    delivery = signed(FATAL, now=NOW)
    with time_machine.travel(NOW, tick=False):
        response = post(
            client, with_headers(delivery, X_Relay_Timestamp=str(int(NOW.timestamp()) + 1))
        )

    assert (response.status_code, response.json()["field"]) == (401, SIGNATURE)


@pytest.mark.parametrize("offset", [301, -301, 3600])
def test_stale_or_future_timestamp_is_refused(client, offset, no_new_rows):
    delivery = signed(FATAL, now=NOW)

    with time_machine.travel(NOW + timedelta(seconds=offset), tick=False):
        response = post(client, delivery)

    assert (response.status_code, response.json()["field"]) == (401, TIMESTAMP)


def test_timestamp_inside_the_window_is_accepted(client):
    delivery = signed(FATAL, now=NOW)

    with time_machine.travel(NOW + timedelta(seconds=299), tick=False):
        assert post(client, delivery).status_code == 202


def test_empty_secret_rejects_everything(client, settings, no_new_rows):
    delivery = signed(FATAL)
    settings.CRASHLYTICS_RELAY_SECRET = ""

    response = post(client, delivery)

    assert (response.status_code, response.json()["field"]) == (403, SIGNATURE)


def test_malformed_json_is_refused(client, no_new_rows):
    response = post(client, signed(with_body(sample(FATAL), b'{"id": "x"')))

    assert (response.status_code, response.json()["field"]) == (400, "body")


@pytest.mark.parametrize(
    ("path", "field"),
    [("id", "id"), ("alerttype", "alerttype"), ("data", "data.payload")],
)
def test_missing_fields_are_named(client, path, field, no_new_rows):
    response = post(client, signed(with_json(sample(FATAL), lambda event: event.pop(path))))

    assert (response.status_code, response.json()["field"]) == (400, field)


def test_missing_issue_id_is_named(client, no_new_rows):
    def no_issue_id(event):
        del event["data"]["payload"]["issue"]["id"]

    response = post(client, signed(with_json(sample(FATAL), no_issue_id)))

    assert (response.status_code, response.json()["field"]) == (400, "data.payload.issue.id")


def test_digest_failing_at_the_second_alert_rolls_back_the_first(client, no_new_rows):
    """Several alerts from one delivery are stored in one transaction, or none is."""

    def digest(event):
        event["alerttype"] = "crashlytics.stabilityDigest"
        event["data"]["payload"] = {
            "trendingIssues": [
                {"issue": {"id": "a1b2c3d4e5f60718", "title": "Stored first"}},
                {"issue": {"id": "f" * 400, "title": "Too long a key to store"}},
            ]
        }

    response = post(client, signed(with_json(sample(FATAL), digest)))

    assert response.status_code == 422
