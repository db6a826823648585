import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from incidents.actors import Actor
from incidents.choices import Severity, Status
from incidents.services import alert_ingest, incident_transition
from incidents.services.clocks import clock_sweep
from integrations.models import OutboxMessage
from tests.factories import ResponderFactory, UserFactory
from tests.response import journey
from tests.response.journey import at

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def send_update(api: APIClient, key: str) -> dict:
    draft = api.post(f"/api/v1/incidents/{key}/communications/", {"template": "customer-update"})
    assert draft.status_code == 201, draft.json()
    pk = draft.json()["id"]
    assert api.post(f"/api/v1/communications/{pk}/approve/").status_code == 200
    sent = api.post(f"/api/v1/communications/{pk}/send/")
    assert sent.status_code == 200, sent.json()
    return sent.json()


def test_sev1_privacy_incident_journey_api(clock):
    commander = ResponderFactory(username="duty-engineer")
    lead = ResponderFactory(username="security-lead")
    UserFactory(username="comms-lead")
    UserFactory(username="scribe")
    api = client_for(commander)
    call_command("load_runbooks")
    incident = alert_ingest(journey.ZENDESK_ESCALATION).incident
    key = incident.key
    base = f"/api/v1/incidents/{key}"

    clock.move_to(at(journey.TRIAGE_AT))
    answers = {"member_impact": "1_few", "data_exposure": "2_confirmed", "services_affected": 1}
    suggestion = api.post("/api/v1/severity-levels/suggest/", answers, format="json")
    assert suggestion.json()["suggested_severity"] == Severity.SEV0
    triage = api.post(
        f"{base}/triage/",
        {**answers, "severity": "SEV1", "reason": "Exposure limited to three members"},
        format="json",
    )
    assert triage.status_code == 201, triage.json()
    assert triage.json()["decided_by"] == "duty-engineer"

    clock.move_to(at(journey.ROLES_AT))
    roles = api.patch(
        f"{base}/roles/",
        {"commander": "duty-engineer", "communications_lead": "comms-lead", "scribe": "scribe"},
        format="json",
    )
    assert roles.status_code == 200, roles.json()
    assert roles.json()["communications_lead"] == "comms-lead"

    clock.move_to(at(journey.RUNBOOK_AT))
    for slug in ("incident-triage", "member-data-exposure"):
        started = api.post(f"{base}/runbooks/", {"runbook": slug}, format="json")
        assert started.status_code == 201, started.json()
    again = api.post(f"{base}/runbooks/", {"runbook": "incident-triage"}, format="json")
    assert again.status_code == 400
    assert "already started" in again.json()["runbook"][0]

    clock.move_to(at(journey.REMINDER_AT))
    clock_sweep()
    clock.move_to(at(journey.ENGAGED_AT))
    engaged = client_for(lead).post(f"{base}/security-engagement/")
    assert engaged.status_code == 200, engaged.json()

    # The incidents API owns plain status changes, so this test makes them through the
    # service. Resolution, with its override, is a route of the response API.
    actor = Actor.for_user(commander)
    clock.move_to(at(journey.MITIGATING_AT))
    incident_transition(incident=incident, actor=actor, to_status=Status.MITIGATING)
    clock.move_to(at(journey.FIRST_UPDATE_AT - 5))
    clock_sweep()
    clock.move_to(at(journey.FIRST_UPDATE_AT))
    send_update(api, key)
    document = api.get(f"{base}/document/").json()
    assert document["next_update_due_at"].startswith("2026-03-10T10:12")
    clock.move_to(at(journey.MISSED_CHECK_AT))
    clock_sweep()
    clock.move_to(at(journey.SECOND_UPDATE_AT))
    send_update(client_for(lead), key)

    clock.move_to(at(journey.MONITORING_AT))
    incident_transition(incident=incident, actor=actor, to_status=Status.MONITORING)
    clock.move_to(at(journey.TOO_EARLY_AT))
    early = api.post(f"{base}/resolve/", {}, format="json")
    assert early.status_code == 400
    assert "monitoring window ends" in early.json()["status"][0]
    clock.move_to(at(journey.WINDOW_DONE_AT))
    clock_sweep()
    clock.move_to(at(journey.RESOLVED_AT))
    resolved = api.post(f"{base}/resolve/", {}, format="json")
    assert resolved.status_code == 200, resolved.json()
    assert resolved.json()["retrospective"]["due_date"] == "2026-03-18"

    task = api.post(
        f"{base}/remediation-tasks/",
        {"title": "Add the member id to profile cache keys", "owner": "security-lead"},
        format="json",
    )
    assert task.status_code == 201, task.json()
    document = api.get(f"{base}/document/").json()
    assert document["closure_problems"] == [
        "SEV1 needs a published retrospective, and it is scheduled",
        "remediation task 'Add the member id to profile cache keys' has no due date",
    ]
    dated = api.patch(
        f"/api/v1/remediation-tasks/{task.json()['id']}/", {"due_date": "2026-03-18"}, format="json"
    )
    assert dated.status_code == 200, dated.json()

    clock.move_to(journey.RETROSPECTIVE_HELD)
    edited = api.patch(
        f"{base}/retrospective/",
        {
            **journey.WRITE_UP,
            "attendees": ["duty-engineer", "security-lead", "comms-lead", "scribe"],
            "facilitator": "scribe",
        },
        format="json",
    )
    assert edited.status_code == 200, edited.json()
    assert api.post(f"{base}/retrospective/hold/").status_code == 200
    published = api.post(f"{base}/retrospective/publish/")
    assert published.json()["status"] == "published"
    incident_transition(incident=incident, actor=actor, to_status=Status.CLOSED)

    clocks = {clock["kind"]: clock["state"] for clock in api.get(f"{base}/clocks/").json()}
    assert clocks == {
        "monitoring": "met",
        "retrospective": "met",
        "security_engagement": "met",
        "update": "stopped",
    }
    metrics = api.get("/api/v1/metrics/").json()
    assert metrics["flagged"][0]["key"] == key
    incident.refresh_from_db()
    journey.assert_journey_outcome(incident)


def test_non_staff_rejected(clock):
    incident = alert_ingest(journey.ZENDESK_ESCALATION).incident
    member = UserFactory(username="member", is_staff=False)

    response = client_for(member).get(f"/api/v1/incidents/{incident.key}/document/")

    assert response.status_code == 403


def test_unknown_incident_is_404(clock):
    staff = ResponderFactory(username="duty-engineer")

    response = client_for(staff).get("/api/v1/incidents/INC-2026-9999/document/")

    assert response.status_code == 404


def test_preview_escapes_html(clock):
    staff = ResponderFactory(username="duty-engineer")
    incident = alert_ingest(journey.ZENDESK_ESCALATION).incident

    preview = client_for(staff).post(
        f"/api/v1/incidents/{incident.key}/communications/preview/",
        {"subject": "{{ incident.key }}", "body": "<b>{{ incident.title }}</b>"},
        format="json",
    )

    assert preview.status_code == 200
    assert preview.json()["html"].startswith("<p><b>Member reports seeing another member&#x27;s")
    assert preview.json()["subject"] == incident.key


def test_draft_without_template_needs_fields(clock):
    staff = ResponderFactory(username="duty-engineer")
    incident = alert_ingest(journey.ZENDESK_ESCALATION).incident

    response = client_for(staff).post(
        f"/api/v1/incidents/{incident.key}/communications/", {"subject": "x"}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"audience", "body"}


@pytest.mark.parametrize(
    ("route", "method", "data"),
    [
        ("roles/", "patch", {"comander": None}),
        (
            "communications/",
            "post",
            {"audience": "customers", "subject": "x", "body": "y", "bogus": 1},
        ),
        ("remediation-tasks/", "post", {"title": "Rotate keys", "titel": "typo"}),
    ],
    ids=["roles", "communication", "remediation-task"],
)
def test_misspelled_field_is_400(clock, route, method, data):
    staff = ResponderFactory(username="duty-engineer")
    incident = alert_ingest(journey.ZENDESK_ESCALATION).incident
    entries = incident.timeline.count()

    response = getattr(client_for(staff), method)(
        f"/api/v1/incidents/{incident.key}/{route}", data, format="json"
    )

    assert response.status_code == 400
    [unknown] = set(data) - {"audience", "subject", "body", "title"}
    assert response.json()[unknown] == [
        f"{unknown} cannot be set here: remove it from the request."
    ]
    assert incident.timeline.count() == entries


def test_finished_task_keeps_status_and_is_not_filed(clock):
    staff = ResponderFactory(username="duty-engineer")
    incident = alert_ingest(journey.ZENDESK_ESCALATION).incident

    response = client_for(staff).post(
        f"/api/v1/incidents/{incident.key}/remediation-tasks/",
        {"title": "Rewrite the profile cache", "status": "wont_do"},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["status"] == "wont_do"
    task = incident.remediation_tasks.get()
    assert task.status == "wont_do"
    assert not OutboxMessage.objects.filter(target="jira").exists()
