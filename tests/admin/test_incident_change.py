from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import NoReverseMatch, reverse

from incidents.choices import ActionStatus, Category, Severity, Status, TimelineKind
from incidents.models import Action, Incident
from incidents.services import (
    action_create,
    alert_ingest,
    incident_transition,
    timeline_add_note,
)
from tests.admin.conftest import change_form_data
from tests.factories import UserFactory, make_alert_input, make_incident

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/incidents/incident/add/"


def change_url(incident: Incident, suffix: str = "change/") -> str:
    return f"/admin/incidents/incident/{incident.pk}/{suffix}"


@pytest.fixture
def incident(admin_actor):
    incident = make_incident(actor=admin_actor, severity=Severity.SEV3)
    timeline_add_note(incident=incident, actor=admin_actor, text="Paged the database team")
    action_create(incident=incident, actor=admin_actor, title="Fail over the primary")
    return incident


def test_change_page_shows_inlines_and_buttons(admin_client, admin_actor):
    opened = alert_ingest(make_alert_input(title="Database CPU above 95%"))
    incident = opened.incident
    timeline_add_note(incident=incident, actor=admin_actor, text="Paged the database team")
    action_create(incident=incident, actor=admin_actor, title="Fail over the primary")

    response = admin_client.get(change_url(incident))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Paged the database team" in html
    assert "Fail over the primary" in html
    assert "Database CPU above 95%" in html
    assert change_url(incident, "transition/") in html
    assert change_url(incident, "severity/") in html
    assert change_url(incident, "history/") in html
    try:
        pdf_url = reverse("reports:incident-pdf", kwargs={"key": incident.key})
    except NoReverseMatch:
        pdf_url = None
    if pdf_url is None:
        # Without the reports route the page renders, with no broken link.
        assert "Download PDF report" not in html
    else:
        assert pdf_url in html


def test_status_and_severity_are_read_only(admin_client, incident):
    response = admin_client.get(change_url(incident))

    fields = response.context["adminform"].form.fields
    assert "status" not in fields
    assert "severity" not in fields
    assert "key" not in fields
    assert "acknowledged_at" not in fields
    assert "title" in fields


def test_timeline_inline_cannot_be_edited(admin_client, incident):
    response = admin_client.get(change_url(incident))

    inlines = {
        inline.formset.prefix: inline for inline in response.context["inline_admin_formsets"]
    }
    timeline = inlines["timeline"]
    assert not timeline.has_add_permission
    assert not timeline.has_change_permission
    assert not timeline.has_delete_permission
    assert 'name="timeline-0-text"' not in response.content.decode()

    data = change_form_data(response)
    data["timeline-0-text"] = "Rewritten history"
    saved = admin_client.post(change_url(incident), data)

    assert saved.status_code == 302
    assert not incident.timeline.filter(text="Rewritten history").exists()


def test_add_form_opens_incident_through_service(admin_client, admin_user):
    response = admin_client.post(
        ADD_URL,
        {
            "title": "Checkout returns 502",
            "summary": "",
            "category": Category.AVAILABILITY,
            "severity": Severity.SEV1,
            "detected_at_0": "2026-04-01",
            "detected_at_1": "10:15:00",
            "actions-TOTAL_FORMS": "1",
            "actions-INITIAL_FORMS": "0",
            "actions-0-title": "Roll back release 41",
            "actions-0-kind": "recovery",
            "actions-0-status": ActionStatus.OPEN,
            "alerts-TOTAL_FORMS": "0",
            "alerts-INITIAL_FORMS": "0",
            "timeline-TOTAL_FORMS": "0",
            "timeline-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    incident = Incident.objects.get(title="Checkout returns 502")
    assert incident.key == "INC-2026-0001"
    assert incident.severity == Severity.SEV1
    assert incident.history.earliest().history_user == admin_user
    kinds = list(incident.timeline.values_list("kind", flat=True))
    assert TimelineKind.CREATED in kinds
    assert TimelineKind.ACTION in kinds
    action = incident.actions.get()
    assert action.title == "Roll back release 41"
    assert action.history.get().history_user == admin_user


def test_edit_form_goes_through_service(admin_client, admin_user, incident):
    commander = UserFactory(username="incident-commander")
    data = change_form_data(admin_client.get(change_url(incident)))
    data["title"] = "Primary database unreachable"
    data["commander"] = commander.pk

    response = admin_client.post(change_url(incident), data)

    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.title == "Primary database unreachable"
    assert incident.commander == commander
    assert incident.history.latest().history_user == admin_user
    updated = incident.timeline.get(kind=TimelineKind.UPDATED)
    assert updated.text == "Edited title"
    role = incident.timeline.get(kind=TimelineKind.ROLE)
    assert role.text == "incident-commander assigned as incident commander"


def test_action_inline_edit_uses_service(admin_client, admin_user, incident):
    data = change_form_data(admin_client.get(change_url(incident)))
    data["actions-0-status"] = ActionStatus.DONE

    response = admin_client.post(change_url(incident), data)

    assert response.status_code == 302
    action = Action.objects.get(incident=incident)
    assert action.status == ActionStatus.DONE
    assert action.done_at is not None
    assert action.history.latest().history_user == admin_user
    entry = incident.timeline.filter(kind=TimelineKind.ACTION).last()
    assert entry.text == "Action 'Fail over the primary' moved from open to done"


def test_unchanged_save_writes_nothing(admin_client, incident):
    entries = incident.timeline.count()
    versions = incident.history.count()
    data = change_form_data(admin_client.get(change_url(incident)))

    response = admin_client.post(change_url(incident), data)

    assert response.status_code == 302
    assert incident.timeline.count() == entries
    assert incident.history.count() == versions


def test_history_page_names_admin_user(admin_client, incident):
    response = admin_client.get(change_url(incident, "history/"))

    assert response.status_code == 200
    assert "admin" in response.content.decode()
    assert response.context["revert_disabled"] is True


def test_history_page_names_integration(admin_client):
    incident = alert_ingest(make_alert_input(source="pagerduty")).incident

    response = admin_client.get(change_url(incident, "history/"))

    assert response.status_code == 200
    records = response.context["page_obj"].object_list
    assert {record.history_integration for record in records} == {"pagerduty"}
    assert {record.history_actor for record in records} == {"pagerduty"}
    html = response.content.decode()
    assert '<th scope="col">Changed by</th>' in html
    assert "None" not in html


def test_history_page_lists_status_change(admin_client, admin_actor, incident):
    # Status and the lifecycle times are not editable in forms, and the library's own
    # diff skips such fields; the page must still list them.
    incident_transition(incident=incident, actor=admin_actor, to_status=Status.TRIAGED)

    response = admin_client.get(change_url(incident, "history/"))

    newest = response.context["page_obj"].object_list[0]
    changes = {change["field"]: change for change in newest.history_delta_changes}
    assert changes["Status"]["old"] == "Detected"
    assert changes["Status"]["new"] == "Triaged"
    assert "Acknowledged at" in changes
    assert newest.history_cells == ["Triaged", incident.get_severity_display()]
    html = response.content.decode()
    assert '<th scope="col">Status</th>' in html
    assert "<strong>Status:</strong> Detected" in html


def test_transition_form_moves_status(admin_client, admin_user, incident):
    form_page = admin_client.get(change_url(incident, "transition/"))
    choices = [value for value, _ in form_page.context["form"].fields["status"].choices]

    response = admin_client.post(
        change_url(incident, "transition/"), {"status": "triaged", "note": "On it"}
    )

    assert choices == ["triaged", "mitigating", "resolved"]
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == Status.TRIAGED
    entry = incident.timeline.get(kind=TimelineKind.STATUS)
    assert entry.text == "Status changed from detected to triaged: On it"
    assert incident.history.latest().history_user == admin_user


def test_transition_form_rejects_illegal_target(admin_client, incident):
    response = admin_client.post(change_url(incident, "transition/"), {"status": "closed"})

    assert response.status_code == 200
    assert "closed" in response.context["form"].errors["status"][0]
    incident.refresh_from_db()
    assert incident.status == Status.DETECTED


def test_severity_form_writes_timeline_and_history(admin_client, admin_user, incident):
    response = admin_client.post(
        change_url(incident, "severity/"),
        {"severity": Severity.SEV1, "reason": "Customer data exposed"},
    )

    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.severity == Severity.SEV1
    entry = incident.timeline.get(kind=TimelineKind.SEVERITY)
    assert entry.text == "Severity changed from SEV3 to SEV1: Customer data exposed"
    assert entry.actor_user == admin_user
    latest = incident.history.latest()
    assert latest.severity == Severity.SEV1
    assert latest.history_user == admin_user


def test_severity_form_shows_service_error(admin_client, incident):
    response = admin_client.post(
        change_url(incident, "severity/"), {"severity": Severity.SEV3, "reason": "Same"}
    )

    assert response.status_code == 200
    errors = response.context["form"].errors["severity"]
    assert errors == [f"{incident.key} is already SEV3."]
    assert not incident.timeline.filter(kind=TimelineKind.SEVERITY).exists()


def test_note_form_adds_note(admin_client, admin_user, incident):
    response = admin_client.post(change_url(incident, "note/"), {"text": "Vendor confirmed"})

    assert response.status_code == 302
    entry = incident.timeline.filter(kind=TimelineKind.NOTE).last()
    assert entry.text == "Vendor confirmed"
    assert entry.actor_user == admin_user


def test_forms_of_unknown_incident_are_404(admin_client):
    response = admin_client.get("/admin/incidents/incident/987654/severity/")

    assert response.status_code == 404


def test_change_page_rounds_mtta_to_seconds(admin_client, admin_actor):
    detected = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
    incident = make_incident(actor=admin_actor, detected_at=detected)
    acknowledged = detected + timedelta(minutes=7, seconds=30, microseconds=250_000)
    incident_transition(
        incident=incident, actor=admin_actor, to_status=Status.TRIAGED, at=acknowledged
    )

    response = admin_client.get(change_url(incident))

    html = response.content.decode()
    assert "0:07:30" in html
    assert "0:07:30.25" not in html


def test_view_only_staff_cannot_use_forms(client, admin_actor):
    incident = make_incident(actor=admin_actor)
    viewer = UserFactory(username="auditor")
    viewer.user_permissions.add(Permission.objects.get(codename="view_incident"))
    client.force_login(viewer)

    page = client.get(change_url(incident))
    severity = client.post(change_url(incident, "severity/"), {"severity": "SEV0", "reason": "x"})

    assert page.status_code == 200
    assert change_url(incident, "severity/") not in page.content.decode()
    assert severity.status_code == 403
    incident.refresh_from_db()
    assert incident.severity == Severity.SEV2


def test_old_version_cannot_be_restored(admin_client, admin_actor, incident):
    incident_transition(incident=incident, actor=admin_actor, to_status=Status.TRIAGED)
    first = incident.history.earliest()
    url = change_url(incident, f"history/{first.history_id}/")
    data = change_form_data(admin_client.get(change_url(incident)))

    viewed = admin_client.get(url)
    posted = admin_client.post(url, data)

    assert viewed.status_code == 200
    assert posted.status_code == 403
    incident.refresh_from_db()
    assert incident.status == Status.TRIAGED


@pytest.mark.parametrize("model", ["communication", "retrospective", "remediationtask", "clock"])
def test_response_records_have_history_pages(admin_client, admin_actor, model):
    incident = make_incident(actor=admin_actor, severity=Severity.SEV1)
    incident_transition(
        incident=incident, actor=admin_actor, to_status=Status.RESOLVED, override_reason="Test"
    )
    record = {
        "retrospective": lambda: incident.retrospective,
        "clock": lambda: incident.clocks.first(),
        "remediationtask": lambda: incident.remediation_tasks.create(title="Rotate keys"),
        "communication": lambda: incident.communications.create(
            audience="customers", subject="Resolved", body="All fixed."
        ),
    }[model]()

    response = admin_client.get(f"/admin/incidents/{model}/{record.pk}/history/")

    assert response.status_code == 200
    assert response.context["page_obj"].object_list
    assert "doesn't have a change history" not in response.content.decode()
