import pytest
from django.core.management import call_command
from django.test import Client

from incidents.actors import Actor
from incidents.choices import Status
from incidents.models import Communication, CommunicationTemplate, Runbook
from incidents.services import alert_ingest
from incidents.services.clocks import clock_sweep
from tests.factories import UserFactory
from tests.response import journey
from tests.response.conftest import send_update as send_update_service
from tests.response.journey import at

pytestmark = pytest.mark.django_db

DESK = "/admin/incidents/incidentresponse/"


def admin_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post_action(client, document_url, **data) -> list[str]:
    """POST a form of the document page; return the messages the redirected page shows."""
    response = client.post(document_url, data, follow=True)
    assert response.redirect_chain == [(document_url, 302)]
    return [str(message) for message in response.context["messages"]]


def send_update(client, document_url, incident):
    template = CommunicationTemplate.objects.get(slug="customer-update")
    post_action(client, document_url, action="draft", template=template.pk)
    draft = Communication.objects.filter(incident=incident).latest("created_at")
    for action in ("approve", "send"):
        response = client.post(
            "/admin/incidents/communication/",
            {"action": action, "_selected_action": [draft.pk]},
        )
        assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.sent_at is not None


def test_sev1_privacy_incident_journey_admin(clock):
    commander = UserFactory(username="duty-engineer", is_superuser=True)
    lead = UserFactory(username="security-lead", is_superuser=True)
    comms = UserFactory(username="comms-lead")
    scribe = UserFactory(username="scribe")
    client = admin_client(commander)
    call_command("load_runbooks")
    incident = alert_ingest(journey.ZENDESK_ESCALATION).incident
    document_url = f"{DESK}{incident.pk}/document/"
    triage_url = f"{DESK}{incident.pk}/triage/"

    # triage: the form suggests a level, then saves the chosen one with a reason
    clock.move_to(at(journey.TRIAGE_AT))
    answers = {"member_impact": "1_few", "data_exposure": "2_confirmed", "services_affected": 1}
    suggested = client.post(triage_url, {**answers, "suggest": "1"})
    assert b"The severity matrix suggests SEV0" in suggested.content
    saved = client.post(
        triage_url,
        {**answers, "severity": "SEV1", "reason": "Exposure limited to three members", "save": "1"},
    )
    assert saved.status_code == 302
    incident.refresh_from_db()
    assert incident.status == Status.TRIAGED

    clock.move_to(at(journey.ROLES_AT))
    post_action(
        client,
        document_url,
        action="roles",
        commander=commander.pk,
        communications_lead=comms.pk,
        scribe=scribe.pk,
    )

    # runbooks: one from the changelist action, one from the document page
    clock.move_to(at(journey.RUNBOOK_AT))
    response = client.post(
        DESK, {"action": "start_runbook_incident_triage", "_selected_action": [incident.pk]}
    )
    assert response.status_code == 302
    exposure = Runbook.objects.get(slug="member-data-exposure")
    post_action(client, document_url, action="runbook", runbook=exposure.pk)
    assert incident.actions.count() == 18

    clock.move_to(at(journey.REMINDER_AT))
    clock_sweep()
    clock.move_to(at(journey.ENGAGED_AT))
    assert post_action(admin_client(lead), document_url, action="engage") == [
        "Security lead engagement recorded."
    ]

    clock.move_to(at(journey.MITIGATING_AT))
    post_action(client, document_url, action="transition", to_status="mitigating")
    clock.move_to(at(journey.FIRST_UPDATE_AT - 5))
    clock_sweep()
    clock.move_to(at(journey.FIRST_UPDATE_AT))
    send_update(client, document_url, incident)
    clock.move_to(at(journey.MISSED_CHECK_AT))
    clock_sweep()

    # the changelist filter shows the incident at risk while the update is missed
    at_risk = client.get(DESK, {"clock_risk": "breached"})
    assert incident.key.encode() in at_risk.content
    clock.move_to(at(journey.SECOND_UPDATE_AT))
    send_update(client, document_url, incident)
    assert incident.key.encode() not in client.get(DESK, {"clock_risk": "breached"}).content

    clock.move_to(at(journey.MONITORING_AT))
    post_action(client, document_url, action="transition", to_status="monitoring")
    clock.move_to(at(journey.TOO_EARLY_AT))
    rejected = post_action(client, document_url, action="transition", to_status="resolved")
    assert "before its monitoring window ends" in rejected[0]
    clock.move_to(at(journey.WINDOW_DONE_AT))
    clock_sweep()
    clock.move_to(at(journey.RESOLVED_AT))
    post_action(client, document_url, action="transition", to_status="resolved")
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED

    response = client.post(
        "/admin/incidents/remediationtask/add/",
        {
            "incident": incident.pk,
            "title": "Add the member id to profile cache keys",
            "owner": lead.pk,
            "due_date": "2026-03-18",
            "status": "open",
        },
    )
    assert response.status_code == 302
    refused = post_action(client, document_url, action="transition", to_status="closed")
    assert refused[-1:] == [
        f"Cannot close {incident.key}: SEV1 needs a published retrospective, and it is scheduled."
    ]

    clock.move_to(journey.RETROSPECTIVE_HELD)
    retrospective = incident.retrospective
    response = client.post(
        f"/admin/incidents/retrospective/{retrospective.pk}/change/",
        {
            **journey.WRITE_UP,
            "meeting_at_0": "2026-03-16",
            "meeting_at_1": "14:00:00",
            "facilitator": scribe.pk,
            "attendees": [commander.pk, lead.pk, comms.pk, scribe.pk],
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    for action in ("hold", "publish"):
        response = client.post(
            "/admin/incidents/retrospective/",
            {"action": action, "_selected_action": [retrospective.pk]},
        )
        assert response.status_code == 302
    post_action(client, document_url, action="transition", to_status="closed")

    incident.refresh_from_db()
    assert incident.status == Status.CLOSED
    journey.assert_journey_outcome(incident)
    page = client.get(document_url)
    assert page.status_code == 200
    assert b"Heightened monitoring" in page.content
    metrics = client.get(f"{DESK}metrics/")
    assert incident.key.encode() in metrics.content


def test_template_preview_escapes(clock):
    staff = UserFactory(username="duty-engineer", is_superuser=True)
    incident = alert_ingest(journey.ZENDESK_ESCALATION).incident
    template = CommunicationTemplate.objects.get(slug="executive-briefing")
    client = admin_client(staff)

    page = client.get(
        f"/admin/incidents/communicationtemplate/{template.pk}/change/",
        {"incident_key": incident.key},
    )

    assert page.status_code == 200
    assert b"another member&#x27;s profile" in page.content
    assert f"{incident.key} SEV1".encode() in page.content


def test_desk_change_view_redirects_to_document(clock):
    staff = UserFactory(username="duty-engineer", is_superuser=True)
    incident = alert_ingest(journey.ZENDESK_ESCALATION).incident

    response = admin_client(staff).get(f"{DESK}{incident.pk}/change/")

    assert response.status_code == 302
    assert response["Location"] == f"{DESK}{incident.pk}/document/"


def test_every_admin_changelist_renders(clock):
    staff = UserFactory(username="duty-engineer", is_superuser=True)
    alert_ingest(journey.ZENDESK_ESCALATION)
    client = admin_client(staff)

    for model in (
        "incidentresponse",
        "severitylevel",
        "communicationtemplate",
        "communication",
        "retrospective",
        "remediationtask",
        "drill",
        "clock",
        "runbook",
        "runbookversion",
    ):
        assert client.get(f"/admin/incidents/{model}/").status_code == 200, model


def test_drill_added_in_admin(clock):
    staff = UserFactory(username="duty-engineer", is_superuser=True)
    incident = alert_ingest(journey.ZENDESK_ESCALATION).incident

    response = admin_client(staff).post(
        "/admin/incidents/drill/add/",
        {
            "scenario": "Member data exposure tabletop",
            "held_on": "2026-03-10",
            "participants": [staff.pk],
            "findings": "",
            "follow_ups": "",
            "incident": incident.pk,
        },
    )

    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.is_drill
    assert incident.drill.participants.get() == staff


def test_sent_update_is_read_only(clock):
    staff = UserFactory(username="duty-engineer", is_superuser=True)
    incident = alert_ingest(journey.ZENDESK_ESCALATION).incident
    sent = send_update_service(incident, Actor.for_user(staff))
    client = admin_client(staff)

    page = client.get(f"/admin/incidents/communication/{sent.pk}/change/")
    edit = client.post(f"/admin/incidents/communication/{sent.pk}/change/", {"body": "changed"})

    assert page.status_code == 200
    assert b"As e-mailed (HTML)" in page.content
    assert edit.status_code == 403
    sent.refresh_from_db()
    assert sent.body == "Text"
