"""The response admin attached to another Incident admin, as the module docstring shows."""

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import path

from incidents.admin.response import (
    RESPONSE_INLINES,
    RESPONSE_LIST_DISPLAY,
    RESPONSE_LIST_FILTERS,
    runbook_actions,
)
from incidents.admin.response_views import document_url, response_admin_urls
from incidents.models import Incident
from incidents.services import alert_ingest
from tests.factories import UserFactory
from tests.response import journey

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


class AttachedIncidentAdmin(admin.ModelAdmin):
    list_display = ("key", "title", *RESPONSE_LIST_DISPLAY)
    list_filter = RESPONSE_LIST_FILTERS
    inlines = RESPONSE_INLINES

    def get_urls(self):
        return response_admin_urls(self) + super().get_urls()

    def get_actions(self, request):
        return {**super().get_actions(request), **runbook_actions()}


site = admin.AdminSite(name="attached")
site.register(Incident, AttachedIncidentAdmin)
urlpatterns = [path("attached/", site.urls)]


@pytest.fixture
def client():
    client = Client()
    client.force_login(UserFactory(username="duty-engineer", is_superuser=True))
    return client


def test_attached_changelist_shows_clocks(clock, client):
    incident = alert_ingest(journey.ZENDESK_ESCALATION).incident

    page = client.get("/attached/incidents/incident/", {"clock_risk": "running"})

    assert page.status_code == 200
    assert incident.key.encode() in page.content
    assert b"Security lead engagement: Running, due 10 Mar 09:15" in page.content


def test_attached_change_form_shows_inlines(clock, client):
    incident = alert_ingest(journey.ZENDESK_ESCALATION).incident

    page = client.get(f"/attached/incidents/incident/{incident.pk}/change/")

    assert page.status_code == 200
    assert b"Security lead engagement" in page.content


def test_attached_document_page(clock, client):
    incident = alert_ingest(journey.ZENDESK_ESCALATION).incident
    url = document_url(site._registry[Incident], incident)

    page = client.get(url)

    assert url == f"/attached/incidents/incident/{incident.pk}/document/"
    assert page.status_code == 200
    assert incident.title.encode() in page.content.replace(b"&#x27;", b"'")
