import pytest

from incidents.choices import ActionStatus, TimelineKind
from incidents.models import Action
from incidents.services import action_create, timeline_add_note
from tests.factories import UserFactory, make_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(staff_actor):
    return make_incident(actor=staff_actor)


def timeline_url(incident) -> str:
    return f"/api/v1/incidents/{incident.key}/timeline/"


def actions_url(incident, action_id: int | None = None) -> str:
    url = f"/api/v1/incidents/{incident.key}/actions/"
    if action_id is not None:
        url = f"{url}{action_id}/"
    return url


def test_timeline_is_chronological(staff_client, staff_actor, incident):
    timeline_add_note(incident=incident, actor=staff_actor, text="First note")
    timeline_add_note(incident=incident, actor=staff_actor, text="Second note")

    response = staff_client.get(timeline_url(incident))

    assert response.status_code == 200
    rows = response.json()["results"]
    assert rows[0]["kind"] == TimelineKind.CREATED
    notes = [row["text"] for row in rows if row["kind"] == TimelineKind.NOTE]
    assert notes == ["First note", "Second note"]
    assert rows[-1]["actor"] == "duty-engineer"


def test_add_note_as_request_user(staff_client, staff_user, incident):
    response = staff_client.post(
        timeline_url(incident), {"text": "  Paged the database team  "}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["text"] == "Paged the database team"
    entry = incident.timeline.get(kind=TimelineKind.NOTE)
    assert entry.actor_user == staff_user
    assert entry.history.get().history_user == staff_user


def test_empty_note_is_rejected(staff_client, incident):
    response = staff_client.post(timeline_url(incident), {"text": ""}, format="json")

    assert response.status_code == 400
    assert response.json()["text"] == ["A note cannot be empty."]
    assert not incident.timeline.filter(kind=TimelineKind.NOTE).exists()


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_timeline_has_no_edit_route(staff_client, incident, method):
    response = getattr(staff_client, method)(timeline_url(incident), {}, format="json")

    assert response.status_code == 405


def test_member_cannot_read_timeline(member_client, incident):
    read = member_client.get(timeline_url(incident))
    written = member_client.post(timeline_url(incident), {"text": "hi"})

    assert read.status_code == 403
    assert "results" not in read.json()
    assert written.status_code == 403
    assert not incident.timeline.filter(text="hi").exists()


def test_list_actions(staff_client, staff_actor, incident):
    action_create(incident=incident, actor=staff_actor, title="Block the attacking range")

    response = staff_client.get(actions_url(incident))

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["title"] for row in rows] == ["Block the attacking range"]
    assert rows[0]["incident"] == incident.key


def test_create_action(staff_client, staff_user, incident):
    owner = UserFactory(username="network-engineer")

    response = staff_client.post(
        actions_url(incident),
        {"title": "Rotate API keys", "kind": "eradication", "owner": owner.pk},
        format="json",
    )

    assert response.status_code == 201
    action = Action.objects.get(pk=response.json()["id"])
    assert action.owner == owner
    assert action.kind == "eradication"
    assert action.history.get().history_user == staff_user
    entry = incident.timeline.get(kind=TimelineKind.ACTION)
    assert "Rotate API keys" in entry.text


def test_create_action_rejects_bad_kind(staff_client, incident):
    response = staff_client.post(
        actions_url(incident), {"title": "x", "kind": "prayer"}, format="json"
    )

    assert response.status_code == 400
    assert "prayer" in response.json()["kind"][0]
    assert not incident.actions.exists()


def test_finish_action(staff_client, staff_actor, staff_user, incident):
    action = action_create(incident=incident, actor=staff_actor, title="Rotate API keys")

    response = staff_client.patch(
        actions_url(incident, action.pk), {"status": "done"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["status"] == ActionStatus.DONE
    assert response.json()["done_at"] is not None
    action.refresh_from_db()
    assert action.history.latest().history_user == staff_user


def test_action_of_other_incident_is_404(staff_client, staff_actor, incident):
    other = make_incident(actor=staff_actor, title="Other")
    action = action_create(incident=other, actor=staff_actor, title="Elsewhere")

    response = staff_client.patch(
        actions_url(incident, action.pk), {"status": "done"}, format="json"
    )

    assert response.status_code == 404
    action.refresh_from_db()
    assert action.status == ActionStatus.OPEN


def test_action_has_no_delete_route(staff_client, staff_actor, incident):
    action = action_create(incident=incident, actor=staff_actor, title="Keep me")

    response = staff_client.delete(actions_url(incident, action.pk))

    assert response.status_code == 405
    assert Action.objects.filter(pk=action.pk).exists()
