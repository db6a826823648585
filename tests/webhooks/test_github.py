import pytest

from incidents.choices import AlertSignal, Category, Severity, TimelineKind
from incidents.models import Alert, Incident
from tests.webhooks.conftest import (
    counts,
    post,
    sample,
    signed,
    tamper,
    with_headers,
    with_json,
)

pytestmark = pytest.mark.django_db

CODE_SCANNING = "github/02-code-scanning-created-instances.json"
MOST_RECENT = "github/03-code-scanning-most-recent-instance.json"
DEPENDABOT = "github/04-dependabot-created.json"
SIGNATURE = "X-Hub-Signature-256"


def redelivered_as(delivery, delivery_id, change=None):
    """The same event under another X-GitHub-Delivery, as GitHub sends a new alert."""
    if change is not None:
        delivery = with_json(delivery, change)
    return signed(with_headers(delivery, X_GitHub_Delivery=delivery_id))


def test_code_scanning_alert_opens_a_security_incident(client):
    response = post(client, signed(CODE_SCANNING))

    assert response.status_code == 202
    body = response.json()
    alert = Alert.objects.get(pk=body["alert_id"])
    incident = Incident.objects.get(key=body["incident"])
    assert alert.external_id == "a41c9e20-cf3d-11f1-9b5e-3c7e9f1b2d4e"
    assert alert.dedup_key == "academy/community-website:code-scanning:py/path-injection"
    assert alert.signal == AlertSignal.TRIGGER
    assert "community/media/downloads.py:57" in alert.summary
    assert (incident.category, incident.severity) == (Category.SECURITY, Severity.SEV2)
    assert [s.slug for s in incident.affected_services.all()] == ["communities-platform"]


def test_most_recent_instance_shape_is_read(client):
    response = post(client, signed(MOST_RECENT))

    assert response.status_code == 202
    alert = Alert.objects.get(pk=response.json()["alert_id"])
    assert "web/src/community/editor/preview.ts:88" in alert.summary
    assert "refs/heads/release/2026.12" in alert.summary
    assert alert.suggested_severity == Severity.SEV3  # security_severity_level "medium"


def test_rule_severity_is_used_without_a_security_level(client):
    def no_security_level(data):
        data["alert"]["rule"]["security_severity_level"] = None

    response = post(client, signed(with_json(sample(MOST_RECENT), no_security_level)))

    assert response.status_code == 202
    alert = Alert.objects.get(pk=response.json()["alert_id"])
    assert alert.suggested_severity == Severity.SEV4  # rule.severity "warning"


def test_dependabot_alert_groups_by_repository_and_advisory(client):
    response = post(client, signed(DEPENDABOT))

    assert response.status_code == 202
    alert = Alert.objects.get(pk=response.json()["alert_id"])
    assert alert.dedup_key == "academy/community-website:dependabot:GHSA-3h5v-q93c-6h6q"
    assert alert.incident.severity == Severity.SEV2
    assert "ws" in alert.title


def test_ping_answers_200_and_stores_nothing(client, no_new_rows):
    response = post(client, signed("github/01-ping.json"))

    assert response.status_code == 200
    assert response.json()["status"] == "pong"


def test_unhandled_event_is_ignored_with_a_note(client, no_new_rows):
    delivery = signed(with_headers(sample(CODE_SCANNING), X_GitHub_Event="push"))

    response = post(client, delivery)

    assert response.status_code == 200
    assert response.json() == {"status": "ignored", "note": "GitHub event 'push' is not handled."}


def test_unhandled_action_is_ignored(client, no_new_rows):
    def assignment(data):
        data["action"] = "updated_assignment"

    response = post(client, signed(with_json(sample(CODE_SCANNING), assignment)))

    assert response.status_code == 200
    assert response.json()["status"] == "ignored"


def test_redelivery_stores_nothing_new(client):
    delivery = signed(CODE_SCANNING)
    first = post(client, delivery)
    before = counts()

    again = post(client, delivery)

    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert again.json()["alert_id"] == first.json()["alert_id"]
    assert counts() == before


def test_same_rule_again_attaches_to_the_open_incident(client):
    first = post(client, signed(CODE_SCANNING)).json()

    def other_branch(data):
        data["action"] = "appeared_in_branch"
        data["alert"]["instances"][0]["ref"] = "refs/heads/release/2026.12"

    second = post(
        client,
        redelivered_as(sample(CODE_SCANNING), "b2f0c3d4-cf3e-11f1-8000-000000000001", other_branch),
    )

    assert second.status_code == 202
    assert second.json()["incident"] == first["incident"]
    assert second.json()["alerts"][0]["opened_incident"] is False
    assert Incident.objects.count() == 1
    incident = Incident.objects.get()
    assert incident.alerts.count() == 2
    assert incident.timeline.filter(kind=TimelineKind.ALERT).count() == 2


@pytest.mark.parametrize(
    ("name", "action"),
    [
        (CODE_SCANNING, "fixed"),
        (CODE_SCANNING, "closed_by_user"),
        (DEPENDABOT, "dismissed"),
        (DEPENDABOT, "fixed"),
    ],
)
def test_fixed_closed_dismissed_are_recoveries(client, name, action):
    opened = post(client, signed(name)).json()

    def recover(data):
        data["action"] = action

    response = post(client, redelivered_as(sample(name), f"recovery-{action}", recover))

    assert response.status_code == 202
    alert = Alert.objects.get(pk=response.json()["alert_id"])
    assert alert.signal == AlertSignal.RECOVERY
    assert response.json()["incident"] == opened["incident"]
    assert alert.incident.timeline.filter(kind=TimelineKind.RECOVERY).count() == 1


def test_recovery_without_an_open_incident_opens_nothing(client):
    def fixed(data):
        data["action"] = "fixed"

    response = post(client, signed(with_json(sample(CODE_SCANNING), fixed)))

    assert response.status_code == 202
    assert response.json()["incident"] is None
    assert Incident.objects.count() == 0
    assert Alert.objects.count() == 1


def test_valid_signature_is_checked_over_the_raw_bytes(client):
    delivery = signed(CODE_SCANNING)
    assert post(client, delivery).status_code == 202


def test_tampered_body_is_refused(client, no_new_rows):
    delivery = tamper(signed(CODE_SCANNING), b"py/path-injection", b"py/path-injectiom")

    response = post(client, delivery)

    assert (response.status_code, response.json()["field"]) == (401, SIGNATURE)


def test_missing_signature_is_refused(client, no_new_rows):
    response = post(client, with_headers(signed(CODE_SCANNING), drop=(SIGNATURE,)))

    assert (response.status_code, response.json()["field"]) == (401, SIGNATURE)
    assert "missing" in response.json()["error"]


def test_signature_with_another_secret_is_refused(client, settings, no_new_rows):
    settings.GITHUB_WEBHOOK_SECRET = "another-secret"
    delivery = signed(CODE_SCANNING)
    settings.GITHUB_WEBHOOK_SECRET = "gh-test-secret"

    response = post(client, delivery)

    assert (response.status_code, response.json()["field"]) == (401, SIGNATURE)


def test_signature_without_the_sha256_prefix_is_refused(client, no_new_rows):
    delivery = signed(CODE_SCANNING)
    bare = delivery.headers[SIGNATURE].removeprefix("sha256=")

    response = post(client, with_headers(delivery, X_Hub_Signature_256=bare))

    assert (response.status_code, response.json()["field"]) == (401, SIGNATURE)


def test_empty_secret_rejects_everything(client, settings, no_new_rows):
    delivery = signed("github/01-ping.json")
    settings.GITHUB_WEBHOOK_SECRET = ""

    response = post(client, delivery)

    assert (response.status_code, response.json()["field"]) == (403, SIGNATURE)
    assert "GITHUB_WEBHOOK_SECRET is not set" in response.json()["error"]


@pytest.mark.parametrize("header", ["X-GitHub-Event", "X-GitHub-Delivery"])
def test_missing_event_headers_are_named(client, header, no_new_rows):
    response = post(client, with_headers(signed(CODE_SCANNING), drop=(header,)))

    assert (response.status_code, response.json()["field"]) == (400, header)


@pytest.mark.parametrize(
    ("name", "path"),
    [
        (CODE_SCANNING, "alert.rule.id"),
        (CODE_SCANNING, "repository.full_name"),
        (CODE_SCANNING, "action"),
        (DEPENDABOT, "alert.security_advisory.ghsa_id"),
        (DEPENDABOT, "alert"),
    ],
)
def test_missing_fields_are_named_and_nothing_is_stored(client, name, path, no_new_rows):
    def drop(data):
        *parents, last = path.split(".")
        target = data
        for part in parents:
            target = target[part]
        del target[last]

    response = post(client, signed(with_json(sample(name), drop)))

    assert (response.status_code, response.json()["field"]) == (400, path)


def test_malformed_json_is_refused(client, no_new_rows):
    delivery = signed(
        sample(CODE_SCANNING).__class__(
            **{**sample(CODE_SCANNING).__dict__, "body": b'{"action": '}
        )
    )

    response = post(client, delivery)

    assert (response.status_code, response.json()["field"]) == (400, "body")
