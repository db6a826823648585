from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.choices import Category, Severity, Status, TimelineKind
from incidents.models import Incident, Service
from incidents.services import incident_transition
from tests.factories import UserFactory, make_incident

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/incidents/"


def detail_url(incident: Incident, suffix: str = "") -> str:
    return f"/api/v1/incidents/{incident.key}/{suffix}"


def keys(response) -> list[str]:
    return [row["key"] for row in response.json()["results"]]


def test_anonymous_request_is_401(api_client):
    response = api_client.get(LIST_URL)

    assert response.status_code == 401


def test_member_sees_no_incidents(member_client, staff_actor):
    incident = make_incident(actor=staff_actor)

    listed = member_client.get(LIST_URL)
    retrieved = member_client.get(detail_url(incident))
    moved = member_client.post(detail_url(incident, "transition/"), {"status": "triaged"})

    assert listed.status_code == 403
    assert "results" not in listed.json()
    assert retrieved.status_code == 403
    assert "key" not in retrieved.json()
    assert moved.status_code == 403
    incident.refresh_from_db()
    assert incident.status == Status.DETECTED


def test_member_cannot_create_incident(member_client):
    response = member_client.post(
        LIST_URL, {"title": "x", "category": "security", "severity": "SEV1"}, format="json"
    )

    assert response.status_code == 403
    assert not Incident.objects.exists()


def test_retrieve_by_key_with_mtta_and_mttr(staff_client, staff_actor):
    detected = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    incident = make_incident(actor=staff_actor, detected_at=detected)
    incident_transition(
        incident=incident,
        actor=staff_actor,
        to_status=Status.TRIAGED,
        at=detected + timedelta(minutes=5),
    )
    incident_transition(
        incident=incident,
        actor=staff_actor,
        to_status=Status.RESOLVED,
        at=detected + timedelta(hours=2),
        override_reason="Rolled back; monitoring skipped for a one-off spike",
    )

    response = staff_client.get(detail_url(incident))

    assert response.status_code == 200
    body = response.json()
    assert body["key"] == incident.key
    assert body["status"] == "resolved"
    assert body["time_to_acknowledge_seconds"] == 300.0
    assert body["time_to_resolve_seconds"] == 7200.0
    assert body["acknowledged_at"] == "2026-03-02T09:05:00Z"


def test_open_incident_has_no_mttr(staff_client, staff_actor):
    incident = make_incident(actor=staff_actor)

    body = staff_client.get(detail_url(incident)).json()

    assert body["time_to_acknowledge_seconds"] is None
    assert body["time_to_resolve_seconds"] is None
    assert body["allowed_transitions"] == ["triaged", "mitigating", "resolved"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=triaged", ["triaged"]),
        ("severity=SEV1", ["security"]),
        ("category=security", ["security"]),
        ("private=true", ["security"]),
        ("service=apis", ["apis"]),
        ("detected_after=2026-02-01T00:00:00Z", ["triaged", "security"]),
        ("detected_before=2026-02-01T00:00:00Z", ["apis"]),
    ],
)
def test_list_filters(staff_client, staff_actor, query, expected):
    apis = Service.objects.get(slug="apis")
    make_incident(
        actor=staff_actor,
        title="apis",
        services=[apis],
        detected_at=datetime(2026, 1, 10, tzinfo=UTC),
    )
    triaged = make_incident(
        actor=staff_actor, title="triaged", detected_at=datetime(2026, 2, 10, tzinfo=UTC)
    )
    incident_transition(incident=triaged, actor=staff_actor, to_status=Status.TRIAGED)
    make_incident(
        actor=staff_actor,
        title="security",
        category=Category.SECURITY,
        severity=Severity.SEV1,
        private=True,
        detected_at=datetime(2026, 3, 10, tzinfo=UTC),
    )

    response = staff_client.get(f"{LIST_URL}?{query}")

    assert response.status_code == 200
    titles = {row["title"] for row in response.json()["results"]}
    assert titles == set(expected)


def test_invalid_filter_value_is_400(staff_client):
    response = staff_client.get(f"{LIST_URL}?status=sleeping")

    assert response.status_code == 400
    assert "sleeping" in response.json()["status"][0]


def test_list_issues_no_count_query(staff_client, staff_actor):
    for number in range(3):
        make_incident(actor=staff_actor, title=f"Incident {number}")

    with CaptureQueriesContext(connection) as queries:
        response = staff_client.get(f"{LIST_URL}?page_size=2")

    assert response.status_code == 200
    assert len(response.json()["results"]) == 2
    assert response.json()["next"] is not None
    statements = [query["sql"].upper() for query in queries.captured_queries]
    assert not [sql for sql in statements if "COUNT(" in sql]


def test_responses_are_json_only(staff_client, staff_actor):
    make_incident(actor=staff_actor)

    response = staff_client.get(LIST_URL, HTTP_ACCEPT="text/html,*/*;q=0.8")

    assert response["Content-Type"] == "application/json"


def test_create_opens_incident_as_request_user(staff_client, staff_user):
    commander = UserFactory(username="commander")

    response = staff_client.post(
        LIST_URL,
        {
            "title": "Login fails on Android",
            "category": "availability",
            "severity": "SEV2",
            "commander": commander.pk,
            "affected_services": ["mobile-apps"],
        },
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["key"].startswith("INC-")
    assert body["status"] == "detected"
    assert body["affected_services"] == ["mobile-apps"]
    incident = Incident.objects.get(key=body["key"])
    assert incident.commander == commander
    assert incident.history.earliest().history_user == staff_user
    assert incident.timeline.get(kind=TimelineKind.CREATED).actor_user == staff_user


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("severity", "SEV9", "SEV9"),
        ("category", "weather", "weather"),
        ("commander", 987654, "987654"),
        ("affected_services", ["no-such-service"], "no-such-service"),
        ("detected_at", "2099-01-01T00:00:00Z", "2099-01-01T00:00:00+00:00 is in the future"),
    ],
)
def test_create_rejects_bad_value(staff_client, field, value, fragment):
    data = {"title": "Checkout down", "category": "availability", "severity": "SEV2"}
    data[field] = value

    response = staff_client.post(LIST_URL, data, format="json")

    assert response.status_code == 400
    message = response.json()[field][0]
    assert fragment in message
    assert not Incident.objects.exists()


def test_partial_update_edits_details(staff_client, staff_actor, staff_user):
    incident = make_incident(actor=staff_actor)
    lead = UserFactory(username="security-lead")

    response = staff_client.patch(
        detail_url(incident),
        {"title": "API latency", "security_lead": lead.pk, "affected_services": ["apis"]},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["title"] == "API latency"
    assert response.json()["affected_services"] == ["apis"]
    incident.refresh_from_db()
    assert incident.security_lead == lead
    assert incident.history.latest().history_user == staff_user
    kinds = set(incident.timeline.values_list("kind", flat=True))
    assert {TimelineKind.UPDATED, TimelineKind.ROLE} <= kinds


@pytest.mark.parametrize(("field", "route"), [("status", "transition"), ("severity", "severity")])
def test_partial_update_points_to_own_route(staff_client, staff_actor, field, route):
    incident = make_incident(actor=staff_actor)

    response = staff_client.patch(detail_url(incident), {field: "SEV0"}, format="json")

    assert response.status_code == 400
    assert route in response.json()[field][0]


def test_put_is_not_allowed(staff_client, staff_actor):
    incident = make_incident(actor=staff_actor)

    response = staff_client.put(detail_url(incident), {"title": "x"}, format="json")

    assert response.status_code == 405


def test_transition_records_history(staff_client, staff_actor, staff_user):
    incident = make_incident(actor=staff_actor)

    response = staff_client.post(
        detail_url(incident, "transition/"),
        {"status": "mitigating", "note": "Rolled back the release"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["status"] == "mitigating"
    assert response.json()["acknowledged_at"] is not None
    entry = incident.timeline.get(kind=TimelineKind.STATUS)
    assert entry.text == "Status changed from detected to mitigating: Rolled back the release"
    latest = incident.history.latest()
    assert latest.status == Status.MITIGATING
    assert latest.history_user == staff_user


def test_illegal_transition_names_both_states(staff_client, staff_actor):
    incident = make_incident(actor=staff_actor)

    response = staff_client.post(
        detail_url(incident, "transition/"), {"status": "closed"}, format="json"
    )

    assert response.status_code == 400
    message = response.json()["status"][0]
    assert "from detected to closed" in message
    incident.refresh_from_db()
    assert incident.status == Status.DETECTED


def test_unknown_status_names_value(staff_client, staff_actor):
    incident = make_incident(actor=staff_actor)

    response = staff_client.post(
        detail_url(incident, "transition/"), {"status": "sleeping"}, format="json"
    )

    assert response.status_code == 400
    assert "'sleeping'" in response.json()["status"][0]


def test_severity_change_records_reason(staff_client, staff_actor, staff_user):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV3)

    response = staff_client.post(
        detail_url(incident, "severity/"),
        {"severity": "SEV1", "reason": "Member data exposed"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["severity"] == "SEV1"
    entry = incident.timeline.get(kind=TimelineKind.SEVERITY)
    assert entry.text == "Severity changed from SEV3 to SEV1: Member data exposed"
    assert incident.history.latest().history_user == staff_user


@pytest.mark.parametrize(
    ("data", "field", "fragment"),
    [
        ({"severity": "SEV7", "reason": "x"}, "severity", "'SEV7'"),
        ({"severity": "SEV2", "reason": "same"}, "severity", "already SEV2"),
        ({"severity": "SEV1", "reason": "  "}, "reason", "needs a reason"),
    ],
)
def test_severity_change_errors(staff_client, staff_actor, data, field, fragment):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV2)

    response = staff_client.post(detail_url(incident, "severity/"), data, format="json")

    assert response.status_code == 400
    assert fragment in response.json()[field][0]
    incident.refresh_from_db()
    assert incident.severity == Severity.SEV2
    assert not incident.timeline.filter(kind=TimelineKind.SEVERITY).exists()
