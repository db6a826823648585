import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from incidents.choices import AlertSignal, Category, Severity, TimelineKind
from incidents.models import Alert, Incident
from integrations.models import SnsSubscription, SnsSubscriptionStatus
from tests.webhooks.conftest import (
    counts,
    post,
    sample,
    signed,
    tamper,
    with_body,
    with_headers,
    with_json,
    with_sns_message,
)

pytestmark = pytest.mark.django_db

CONFIRMATION = "cloudwatch/01-subscription-confirmation.json"
API_ALARM = "cloudwatch/02-api-latency-alarm.json"
WEBSOCKET_ALARM = "cloudwatch/03-websocket-delivery-alarm.json"
WAF_ALARM = "cloudwatch/04-waf-blocked-requests-alarm.json"
INSUFFICIENT = "cloudwatch/05-data-plane-queue-insufficient-data.json"
API_OK = "cloudwatch/06-api-latency-ok.json"
API_ALARM_ARN = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:public-api-p95-latency"
TYPE_HEADER = "x-amz-sns-message-type"


def envelope(delivery) -> dict:
    return json.loads(delivery.body)


def as_new_message(name: str, message_id: str, change=None):
    """The sample as another SNS message (a new MessageId), signed afresh."""

    def edit(data):
        data["MessageId"] = message_id
        if change is not None:
            message = json.loads(data["Message"])
            change(message)
            data["Message"] = json.dumps(message)

    delivery = with_json(sample(name), edit)
    return signed(with_headers(delivery, x_amz_sns_message_id=message_id))


def test_api_latency_alarm_opens_an_incident(client):
    response = post(client, signed(API_ALARM))

    assert response.status_code == 202
    alert = Alert.objects.get(pk=response.json()["alert_id"])
    assert alert.external_id == "3f1d2a6b-7c8e-5d9f-a0b1-c2d3e4f5a6b7"
    assert alert.dedup_key == API_ALARM_ARN
    assert alert.signal == AlertSignal.TRIGGER
    assert alert.occurred_at == datetime(2026, 12, 1, 9, 13, tzinfo=UTC)
    incident = alert.incident
    assert incident.key == response.json()["incident"]
    assert (incident.category, incident.severity) == (Category.AVAILABILITY, Severity.SEV2)
    assert [s.slug for s in incident.affected_services.all()] == ["apis"]
    assert incident.title.startswith("ALARM: public-api-p95-latency")


def test_websocket_alarm_signature_version_2(client):
    delivery = signed(WEBSOCKET_ALARM)
    assert envelope(delivery)["SignatureVersion"] == "2"

    response = post(client, delivery)

    assert response.status_code == 202
    incident = Incident.objects.get(key=response.json()["incident"])
    assert incident.severity == Severity.SEV2
    assert [s.slug for s in incident.affected_services.all()] == ["communities-platform"]


def test_signature_version_2_signed_with_sha1_is_refused(client, no_new_rows):
    """The version decides the hash: a SHA1 signature labelled 2 does not verify."""
    delivery = signed(with_json(sample(API_ALARM), lambda d: d.update(SignatureVersion="1")))
    relabelled = with_json(delivery, lambda d: d.update(SignatureVersion="2"))

    response = post(client, relabelled)

    assert (response.status_code, response.json()["field"]) == (401, "Signature")


def test_unknown_signature_version_is_refused(client, no_new_rows):
    delivery = with_json(signed(API_ALARM), lambda d: d.update(SignatureVersion="3"))

    response = post(client, delivery)

    assert (response.status_code, response.json()["field"]) == (400, "SignatureVersion")


def test_waf_alarm_is_a_security_incident(client):
    response = post(client, signed(WAF_ALARM))

    assert response.status_code == 202
    incident = Incident.objects.get(key=response.json()["incident"])
    assert (incident.category, incident.severity) == (Category.SECURITY, Severity.SEV2)


def test_insufficient_data_is_stored_and_opens_nothing(client):
    response = post(client, signed(INSUFFICIENT))

    assert response.status_code == 202
    assert response.json()["incident"] is None
    alert = Alert.objects.get()
    assert alert.signal == AlertSignal.INFO
    assert alert.incident is None
    assert Incident.objects.count() == 0


def test_ok_records_the_recovery_on_the_open_incident(client):
    opened = post(client, signed(API_ALARM)).json()

    response = post(client, signed(API_OK))

    assert response.status_code == 202
    assert response.json()["incident"] == opened["incident"]
    incident = Incident.objects.get(key=opened["incident"])
    recovery = incident.timeline.get(kind=TimelineKind.RECOVERY)
    assert "public-api-p95-latency" in recovery.text
    assert incident.alerts.filter(signal=AlertSignal.RECOVERY).count() == 1
    assert Incident.objects.count() == 1


def test_new_alarm_message_for_the_same_alarm_attaches(client):
    opened = post(client, signed(API_ALARM)).json()

    def worse(message):
        message["NewStateReason"] = "Threshold Crossed: p95 0.91 s"

    response = post(
        client, as_new_message(API_ALARM, "7b0e5c1a-0000-4000-8000-000000000002", worse)
    )

    assert response.status_code == 202
    assert response.json()["incident"] == opened["incident"]
    assert Incident.objects.count() == 1
    assert Incident.objects.get().alerts.count() == 2


def test_redelivery_of_the_same_message_stores_nothing(client):
    delivery = signed(API_ALARM)
    post(client, delivery)
    before = counts()

    response = post(client, signed(API_ALARM))  # re-signed, same MessageId

    assert response.status_code == 200
    assert response.json()["status"] == "duplicate"
    assert counts() == before


def test_tampered_message_is_refused(client, no_new_rows):
    delivery = tamper(signed(API_ALARM), b"public-api-p95-latency", b"public-api-p50-latency")

    response = post(client, delivery)

    assert (response.status_code, response.json()["field"]) == (401, "Signature")


def test_missing_signature_is_refused(client, no_new_rows):
    delivery = with_json(signed(API_ALARM), lambda d: d.pop("Signature"))

    response = post(client, delivery)

    assert (response.status_code, response.json()["field"]) == (401, "Signature")


def test_signature_that_is_not_base64_is_refused(client, no_new_rows):
    delivery = with_json(signed(API_ALARM), lambda d: d.update(Signature="not base64!"))

    response = post(client, delivery)

    assert (response.status_code, response.json()["field"]) == (401, "Signature")


def test_stale_message_is_refused(client, settings, no_new_rows):
    signed_at = datetime(2026, 12, 1, 9, 13, tzinfo=UTC)
    delivery = signed(API_ALARM, now=signed_at)
    late = signed_at + timedelta(seconds=settings.SNS_MAX_MESSAGE_AGE_SECONDS + 1)

    with time_machine.travel(late, tick=False):
        response = post(client, delivery)

    assert (response.status_code, response.json()["field"]) == (401, "Timestamp")


def test_message_within_the_retry_window_is_accepted(client):
    signed_at = datetime(2026, 12, 1, 9, 13, tzinfo=UTC)
    delivery = signed(API_ALARM, now=signed_at)

    with time_machine.travel(signed_at + timedelta(minutes=20), tick=False):
        response = post(client, delivery)

    assert response.status_code == 202


def test_message_type_header_must_match_the_body(client, no_new_rows):
    delivery = with_headers(signed(API_ALARM), x_amz_sns_message_type="SubscriptionConfirmation")

    response = post(client, delivery)

    assert (response.status_code, response.json()["field"]) == (400, TYPE_HEADER)


def test_message_type_header_is_required(client, no_new_rows):
    response = post(client, with_headers(signed(API_ALARM), drop=(TYPE_HEADER,)))

    assert (response.status_code, response.json()["field"]) == (400, TYPE_HEADER)


def test_malformed_envelope_is_refused(client, no_new_rows):
    response = post(client, with_body(sample(API_ALARM), b'{"Type": "Notification",'))

    assert (response.status_code, response.json()["field"]) == (400, "body")


@pytest.mark.parametrize(
    "field", ["MessageId", "TopicArn", "Timestamp", "Message", "SigningCertURL"]
)
def test_missing_envelope_fields_are_named(client, field, no_new_rows):
    response = post(client, with_json(signed(API_ALARM), lambda d: d.pop(field)))

    assert (response.status_code, response.json()["field"]) == (400, field)


def test_message_that_is_not_json_is_refused_after_verification(client, no_new_rows):
    delivery = signed(with_json(sample(API_ALARM), lambda d: d.update(Message="{not json")))

    response = post(client, delivery)

    assert (response.status_code, response.json()["field"]) == (400, "Message")


@pytest.mark.parametrize("field", ["AlarmArn", "AlarmName", "NewStateValue"])
def test_missing_alarm_fields_are_named(client, field, no_new_rows):
    delivery = signed(with_sns_message(sample(API_ALARM), lambda m: m.pop(field)))

    response = post(client, delivery)

    assert (response.status_code, response.json()["field"]) == (400, field)


def test_subscription_confirmation_is_recorded_as_pending(client, no_new_rows_but_subscription):
    response = post(client, signed(CONFIRMATION))

    assert response.status_code == 200
    subscription = SnsSubscription.objects.get()
    assert subscription.topic_arn == "arn:aws:sns:us-east-1:123456789012:incident-desk-alerts"
    assert subscription.status == SnsSubscriptionStatus.PENDING
    assert subscription.subscribe_url.startswith("https://sns.us-east-1.amazonaws.com/?Action=")
    assert subscription.token.startswith("2336412f")
    assert subscription.confirmed_at is None
    assert "SNS_CONFIRM_SUBSCRIPTIONS=true" in subscription.note
    assert subscription.history.count() == 1
    assert response.json()["subscription"] == "pending"


def test_subscription_confirmation_redelivery_changes_nothing(client):
    post(client, signed(CONFIRMATION))
    before = counts(), SnsSubscription.history.count()

    response = post(client, signed(CONFIRMATION))

    assert response.status_code == 200
    assert response.json()["status"] == "duplicate"
    assert (counts(), SnsSubscription.history.count()) == before


def test_subscription_confirmation_with_a_foreign_subscribe_url_is_refused(client, no_new_rows):
    def foreign(data):
        data["SubscribeURL"] = "https://sns.us-east-1.amazonaws.com.evil.example/?Action=Confirm"

    response = post(client, signed(with_json(sample(CONFIRMATION), foreign)))

    assert (response.status_code, response.json()["field"]) == (400, "SubscribeURL")


def test_tampered_subscription_confirmation_is_refused(client, no_new_rows):
    delivery = tamper(signed(CONFIRMATION), b"Token=2336412f", b"Token=9336412f")

    response = post(client, delivery)

    assert (response.status_code, response.json()["field"]) == (401, "Signature")
    assert SnsSubscription.objects.count() == 0


@pytest.fixture
def no_new_rows_but_subscription(db):
    before = counts()
    yield
    after = counts()
    assert after["subscriptions"] == before["subscriptions"] + 1
    assert {k: v for k, v in after.items() if k != "subscriptions"} == {
        k: v for k, v in before.items() if k != "subscriptions"
    }
