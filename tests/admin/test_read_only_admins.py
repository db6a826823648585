import pytest

from incidents.choices import AlertSource, Category
from incidents.models import Alert, Service
from incidents.services import alert_ingest, timeline_add_note
from tests.factories import make_alert_input, make_incident

pytestmark = pytest.mark.django_db

TIMELINE_URL = "/admin/incidents/timelineentry/"
ALERT_URL = "/admin/incidents/alert/"


@pytest.fixture
def alert(db):
    delivery = make_alert_input(
        source=AlertSource.CLOUDWATCH,
        dedup_key="waf-blocked-requests",
        title="WAF blocked requests above threshold",
        category=Category.SECURITY,
    )
    return alert_ingest(delivery).alert


def result_list(response) -> list:
    return list(response.context["cl"].result_list)


def test_timeline_search_by_text_and_key(admin_client, admin_actor):
    first = make_incident(actor=admin_actor, title="First")
    make_incident(actor=admin_actor, title="Second")
    timeline_add_note(incident=first, actor=admin_actor, text="Vendor ticket 5521 opened")

    by_text = admin_client.get(TIMELINE_URL, {"q": "5521"})
    by_key = admin_client.get(TIMELINE_URL, {"q": first.key})

    assert [entry.text for entry in result_list(by_text)] == ["Vendor ticket 5521 opened"]
    assert {entry.incident_id for entry in result_list(by_key)} == {first.pk}


def test_timeline_entry_cannot_be_changed(admin_client, admin_actor):
    incident = make_incident(actor=admin_actor)
    entry = incident.timeline.get()

    page = admin_client.get(f"{TIMELINE_URL}{entry.pk}/change/")
    posted = admin_client.post(f"{TIMELINE_URL}{entry.pk}/change/", {"text": "Rewritten"})

    assert page.status_code == 200
    assert 'name="text"' not in page.content.decode()
    assert posted.status_code == 403
    entry.refresh_from_db()
    assert entry.text != "Rewritten"
    assert admin_client.get(f"{TIMELINE_URL}add/").status_code == 403
    assert admin_client.get(f"{TIMELINE_URL}{entry.pk}/delete/").status_code == 403


def test_alert_search_and_filter(admin_client, alert):
    by_title = admin_client.get(ALERT_URL, {"q": "WAF blocked"})
    by_source = admin_client.get(ALERT_URL, {"source__exact": "pagerduty"})

    assert result_list(by_title) == [alert]
    assert result_list(by_source) == []


def test_alert_cannot_be_added_changed_or_deleted(admin_client, alert):
    assert admin_client.get(f"{ALERT_URL}add/").status_code == 403
    assert admin_client.post(f"{ALERT_URL}{alert.pk}/change/", {"title": "x"}).status_code == 403
    assert admin_client.post(f"{ALERT_URL}{alert.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Alert.objects.get(pk=alert.pk).title == "WAF blocked requests above threshold"


def test_alert_page_is_read_only(admin_client, alert):
    response = admin_client.get(f"{ALERT_URL}{alert.pk}/change/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "waf-blocked-requests" in html
    assert 'name="title"' not in html


def test_service_admin_adds_service(admin_client, admin_user):
    response = admin_client.post(
        "/admin/incidents/service/add/",
        {"name": "Payments", "slug": "payments", "description": "", "active": "on"},
    )

    assert response.status_code == 302
    service = Service.objects.get(slug="payments")
    assert service.history.get().history_user == admin_user


def test_incident_and_service_cannot_be_deleted(admin_client, admin_actor):
    incident = make_incident(actor=admin_actor)
    service = Service.objects.get(slug="apis")

    incident_page = admin_client.get(f"/admin/incidents/incident/{incident.pk}/delete/")
    service_page = admin_client.get(f"/admin/incidents/service/{service.pk}/delete/")
    changelist = admin_client.get("/admin/incidents/incident/")

    assert incident_page.status_code == 403
    assert service_page.status_code == 403
    assert "delete_selected" not in dict(changelist.context["action_form"].fields["action"].choices)
