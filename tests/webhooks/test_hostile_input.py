"""Signed deliveries whose content no receiver may store: each gets a 4xx naming the field."""

import json

import pytest

from integrations.models import SnsSubscription
from tests.webhooks.conftest import (
    counts,
    error_of,
    post,
    sample,
    signed,
    with_body,
    with_headers,
    with_json,
    with_sns_message,
)

pytestmark = pytest.mark.django_db

CODE_SCANNING = "github/02-code-scanning-created-instances.json"
DEPENDABOT = "github/04-dependabot-created.json"
TICKET = "zendesk/01-ticket-privacy-escalation.json"
FATAL = "crashlytics/01-new-fatal-issue.json"
ALARM = "cloudwatch/02-api-latency-alarm.json"


def set_path(path: str, value):
    """Return a change that sets the value at a dotted path of the parsed body."""

    def change(data):
        *parents, last = path.split(".")
        for part in parents:
            data = data[int(part)] if isinstance(data, list) else data[part]
        data[last] = value

    return change


@pytest.mark.parametrize(
    ("name", "path", "value", "field"),
    [
        (TICKET, "time", "9999-12-31T23:59:59-14:00", "time"),
        (TICKET, "time", "0001-01-01T00:00:00+14:00", "time"),
        (TICKET, "detail.priority", ["urgent"], "detail.priority"),
        (TICKET, "detail.tags", [1], "detail.tags"),
        (TICKET, "detail.description", {"html": "<b>"}, "detail.description"),
        (
            CODE_SCANNING,
            "alert.rule.security_severity_level",
            5,
            "alert.rule.security_severity_level",
        ),
        (CODE_SCANNING, "alert.instances", 5, "alert.instances"),
        (CODE_SCANNING, "alert.html_url", 12345, "alert.html_url"),
        (DEPENDABOT, "alert.security_advisory.severity", 9, "alert.security_advisory.severity"),
        (DEPENDABOT, "alert.dependency.manifest_path", 7, "alert.dependency.manifest_path"),
    ],
    ids=[
        "time-too-late",
        "time-too-early",
        "priority-list",
        "tag-number",
        "description-object",
        "security-level-number",
        "instances-number",
        "html-url-number",
        "advisory-severity-number",
        "manifest-path-number",
    ],
)
def test_wrong_value_is_named(client, no_new_rows, name, path, value, field):
    response = post(client, signed(with_json(sample(name), set_path(path, value))))

    assert error_of(response) == (400, field)


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("NewStateReason", {"text": "x"}, "NewStateReason"),
        ("Trigger.Namespace", ["AWS/ApiGateway"], "Trigger.Namespace"),
    ],
    ids=["reason-object", "namespace-list"],
)
def test_wrong_alarm_value_is_named(client, no_new_rows, path, value, field):
    delivery = signed(with_sns_message(sample(ALARM), set_path(path, value)))

    assert error_of(post(client, delivery)) == (400, field)


@pytest.mark.parametrize(
    ("text", "problem"),
    [("a\u0000b", "NUL character"), ("a\ud800b", "lone surrogate")],
    ids=["nul", "surrogate"],
)
def test_unstorable_text_is_named(client, no_new_rows, text, problem):
    # Escaped in the JSON, so the body itself is valid UTF-8.
    delivery = signed(with_json(sample(TICKET), set_path("detail.subject", text)))

    response = post(client, delivery)

    assert error_of(response) == (400, "detail.subject")
    assert problem in response.json()["error"]


def test_unstorable_key_is_named(client, no_new_rows):
    delivery = signed(with_json(sample(TICKET), set_path("detail.bad\u0000key", "x")))

    response = post(client, delivery)

    assert response.status_code == 400
    assert "NUL" in response.json()["error"]


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity", b"1e999"])
def test_non_finite_number_is_rejected(client, no_new_rows, constant):
    original = sample(CODE_SCANNING).body
    body = b'{"extra": ' + constant + b"," + original[1:]

    response = post(client, signed(with_body(sample(CODE_SCANNING), body)))

    assert error_of(response) == (400, "body")


@pytest.mark.parametrize("name", [CODE_SCANNING, TICKET, FATAL])
def test_deeply_nested_body_is_rejected(client, no_new_rows, name):
    body = b"[" * 5000 + b"]" * 5000

    response = post(client, signed(with_body(sample(name), body)))

    assert error_of(response) == (400, "body")


def test_unsigned_nested_sns_envelope_is_rejected(client, no_new_rows):
    # SNS reads its envelope before the signature inside it, so this is reachable unsigned.
    delivery = with_headers(
        with_body(sample(ALARM), b"[" * 5000 + b"]" * 5000),
        **{"x-amz-sns-message-type": "Notification"},
    )

    assert error_of(post(client, delivery)) == (400, "body")


@pytest.mark.parametrize(
    "timestamp", ["\u00b2", "1" + "0" * 400, "9" * 5000], ids=["superscript", "huge", "digits"]
)
def test_bad_relay_timestamp_is_rejected(client, no_new_rows, timestamp):
    delivery = with_headers(signed(FATAL), **{"X-Relay-Timestamp": timestamp})

    assert error_of(post(client, delivery)) == (401, "X-Relay-Timestamp")


def test_long_delivery_id_names_header(client, no_new_rows):
    delivery = with_headers(signed(CODE_SCANNING), **{"X-GitHub-Delivery": "d" * 300})

    assert error_of(post(client, delivery)) == (422, "X-GitHub-Delivery")


def test_long_ticket_id_names_field(client, no_new_rows):
    delivery = signed(with_json(sample(TICKET), set_path("detail.id", "9" * 400)))

    assert error_of(post(client, delivery)) == (422, "detail.id")


def test_long_unsubscribe_message_id_is_rejected(client):
    post(client, signed("cloudwatch/01-subscription-confirmation.json"))
    subscription = SnsSubscription.objects.get()

    def unsubscribe(envelope):
        envelope["Type"] = "UnsubscribeConfirmation"
        envelope["MessageId"] = "m" * 150

    delivery = with_headers(
        with_json(sample("cloudwatch/01-subscription-confirmation.json"), unsubscribe),
        **{"x-amz-sns-message-type": "UnsubscribeConfirmation"},
    )
    before = counts()

    response = post(client, signed(delivery))

    assert error_of(response) == (422, "MessageId")
    assert counts() == before
    subscription.refresh_from_db()
    assert subscription.status == "pending"
    assert json.loads(response.content)["error"]
