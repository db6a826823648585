import pytest

from incidents.choices import AlertSource, TimelineKind
from incidents.models import Alert, Incident

pytestmark = pytest.mark.django_db

URL = "/api/v1/manual-reports/"
REPORT = {
    "title": "Members see other members' messages",
    "summary": "Reported by two moderators.",
    "category": "security",
    "severity": "SEV1",
    "affected_services": ["communities-platform"],
}


def test_report_opens_incident(member_client, member_user):
    response = member_client.post(URL, REPORT, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["duplicate"] is False
    assert body["opened_incident"] is True
    incident = Incident.objects.get(key=body["incident"])
    assert incident.severity == "SEV1"
    assert incident.category == "security"
    assert [service.slug for service in incident.affected_services.all()] == [
        "communities-platform"
    ]
    alert = Alert.objects.get(pk=body["alert"]["id"])
    assert alert.source == AlertSource.MANUAL
    assert alert.payload["reported_by"] == "community-member"


def test_report_records_reporter_in_history(member_client, member_user):
    body = member_client.post(URL, REPORT, format="json").json()

    alert = Alert.objects.get(pk=body["alert"]["id"])
    incident = Incident.objects.get(key=body["incident"])
    assert alert.history.get().history_user == member_user
    assert incident.history.earliest().history_user == member_user
    entry = incident.timeline.get(kind=TimelineKind.ALERT)
    assert entry.actor_user == member_user


def test_repeated_idempotency_key_stores_nothing(member_client, member_user):
    headers = {"HTTP_IDEMPOTENCY_KEY": "moderator-report-17"}
    first = member_client.post(URL, REPORT, format="json", **headers)

    second = member_client.post(URL, REPORT, format="json", **headers)

    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json()["duplicate"] is True
    assert second.json()["alert"]["id"] == first.json()["alert"]["id"]
    assert second.json()["incident"] == first.json()["incident"]
    assert Alert.objects.count() == 1
    assert Incident.objects.count() == 1
    assert Alert.objects.get().external_id == f"user-{member_user.pk}:moderator-report-17"


def test_same_key_from_two_users_is_two_reports(member_client, staff_client):
    headers = {"HTTP_IDEMPOTENCY_KEY": "1"}

    first = member_client.post(URL, REPORT, format="json", **headers)
    second = staff_client.post(URL, REPORT, format="json", **headers)

    assert first.status_code == 201
    assert second.status_code == 201
    assert second.json()["alert"]["id"] != first.json()["alert"]["id"]
    assert Alert.objects.count() == 2


def test_reports_without_key_are_separate(member_client):
    member_client.post(URL, REPORT, format="json")
    member_client.post(URL, REPORT, format="json")

    assert Alert.objects.count() == 2
    assert Incident.objects.count() == 2


def test_same_reference_joins_open_incident(member_client):
    report = {**REPORT, "reference": "moderation-queue-481"}
    first = member_client.post(URL, report, format="json").json()

    second = member_client.post(URL, report, format="json").json()

    assert second["duplicate"] is False
    assert second["opened_incident"] is False
    assert second["incident"] == first["incident"]
    assert Alert.objects.filter(dedup_key="moderation-queue-481").count() == 2


def test_overlong_idempotency_key_is_rejected(member_client):
    response = member_client.post(URL, REPORT, format="json", HTTP_IDEMPOTENCY_KEY="k" * 151)

    assert response.status_code == 400
    message = response.json()["Idempotency-Key"][0]
    assert "151 characters" in message
    assert "at most 150" in message
    assert not Alert.objects.exists()


def test_report_rejects_unknown_service(member_client):
    response = member_client.post(
        URL, {**REPORT, "affected_services": ["moon-base"]}, format="json"
    )

    assert response.status_code == 400
    assert "moon-base" in response.json()["affected_services"][0]
    assert not Alert.objects.exists()


def test_report_needs_authentication(api_client):
    response = api_client.post(URL, REPORT, format="json")

    assert response.status_code == 401
    assert not Alert.objects.exists()
