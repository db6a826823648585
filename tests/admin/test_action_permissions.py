"""Changelist actions change rows, so staff who may only view the rows do not get them."""

import io

import pytest
from django.core.management import call_command
from django.test import Client

from incidents.actors import Actor
from incidents.choices import Severity, Status
from incidents.models import Communication, CommunicationStatus
from tests.factories import UserFactory, make_incident

pytestmark = pytest.mark.django_db

VIEW_ONLY = ["incidents.view_incident", "incidents.view_communication"]
CHANGE = [*VIEW_ONLY, "incidents.change_incident", "incidents.change_communication"]


def client_for(permissions) -> Client:
    client = Client()
    username = "editor" if "incidents.change_incident" in permissions else "viewer"
    client.force_login(UserFactory(username=username, permissions=permissions))
    return client


@pytest.fixture
def incident(admin_user):
    return make_incident(actor=Actor.for_user(admin_user), severity=Severity.SEV3)


def actions_offered(client, url) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200
    form = response.context["action_form"]
    if form is None:
        # The changelist shows no action menu when the user has no action.
        return set()
    return {name for name, _ in form.fields["action"].choices if name}


def test_view_only_staff_get_no_incident_actions(incident):
    offered = actions_offered(client_for(VIEW_ONLY), "/admin/incidents/incident/")

    assert not any(name.startswith(("transition_to_", "start_runbook_")) for name in offered)


def test_view_only_transition_post_changes_nothing(incident):
    client = client_for(VIEW_ONLY)

    client.post(
        "/admin/incidents/incident/",
        {"action": "transition_to_triaged", "_selected_action": [incident.pk]},
    )

    incident.refresh_from_db()
    assert incident.status == Status.DETECTED


def test_change_staff_get_incident_actions(incident):
    offered = actions_offered(client_for(CHANGE), "/admin/incidents/incident/")

    assert "transition_to_triaged" in offered


def test_view_only_staff_cannot_approve(incident):
    draft = Communication.objects.create(
        incident=incident, audience="customers", subject="s", body="b"
    )
    client = client_for(VIEW_ONLY)

    offered = actions_offered(client, "/admin/incidents/communication/")
    client.post(
        "/admin/incidents/communication/", {"action": "approve", "_selected_action": [draft.pk]}
    )

    assert "approve" not in offered
    draft.refresh_from_db()
    assert draft.status == CommunicationStatus.DRAFT


def test_runbook_actions_need_change(incident):
    call_command("load_runbooks", stdout=io.StringIO())
    url = "/admin/incidents/incident/"

    offered_view = actions_offered(client_for(VIEW_ONLY), url)
    offered_change = actions_offered(client_for(CHANGE), url)

    assert not {name for name in offered_view if name.startswith("start_runbook_")}
    assert "start_runbook_incident_triage" in offered_change
