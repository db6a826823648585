"""The response pieces shown on the main incident admin."""

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.test import Client

from incidents.admin.response_views import document_url
from incidents.models import Incident
from incidents.services import alert_ingest
from tests.factories import UserFactory
from tests.response import journey

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    client = Client()
    client.force_login(UserFactory(username="duty-engineer", is_superuser=True))
    return client


def test_changelist_shows_clocks(clock, client):
    incident = alert_ingest(journey.ZENDESK_ESCALATION).incident

    page = client.get("/admin/incidents/incident/", {"clock_risk": "running"})

    assert page.status_code == 200
    assert incident.key.encode() in page.content
    assert b"Security lead engagement: Running, due 10 Mar 09:15" in page.content


def test_change_form_shows_response_inlines(clock, client):
    incident = alert_ingest(journey.ZENDESK_ESCALATION).incident

    page = client.get(f"/admin/incidents/incident/{incident.pk}/change/")

    assert page.status_code == 200
    assert b"Security lead engagement" in page.content


def test_changelist_offers_runbook_actions(clock, client):
    call_command("load_runbooks")

    page = client.get("/admin/incidents/incident/")

    assert page.status_code == 200
    assert b"Start runbook: Incident triage" in page.content


def test_document_page_from_incident_admin(clock, client):
    incident = alert_ingest(journey.ZENDESK_ESCALATION).incident
    url = document_url(admin.site._registry[Incident], incident)

    page = client.get(url)

    assert url == f"/admin/incidents/incident/{incident.pk}/document/"
    assert page.status_code == 200
    assert incident.title.encode() in page.content.replace(b"&#x27;", b"'")
