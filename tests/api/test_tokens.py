import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import UserFactory, make_incident

pytestmark = pytest.mark.django_db


def run_command(username: str, capsys) -> str:
    call_command("create_api_token", username)
    return capsys.readouterr().out.strip()


def test_command_prints_working_token(capsys):
    user = UserFactory(username="siem-exporter", permissions=["incidents.view_incident"])

    token = run_command("siem-exporter", capsys)

    assert Token.objects.get(user=user).key == token
    client = APIClient()
    response = client.get("/api/v1/incidents/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200


def test_command_returns_same_token_twice(capsys):
    UserFactory(username="siem-exporter")

    assert run_command("siem-exporter", capsys) == run_command("siem-exporter", capsys)


def test_command_rejects_unknown_user():
    with pytest.raises(CommandError, match="'ghost' not found"):
        call_command("create_api_token", "ghost")


def test_wrong_token_is_401():
    response = APIClient().get("/api/v1/incidents/", HTTP_AUTHORIZATION="Token not-a-token")

    assert response.status_code == 401


def test_session_login_works_for_staff():
    user = UserFactory(username="duty-engineer", permissions=["incidents.view_incident"])
    client = APIClient()
    client.force_login(user)

    response = client.get("/api/v1/incidents/")

    assert response.status_code == 200


def test_session_write_needs_csrf_token(staff_actor):
    incident = make_incident(actor=staff_actor)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(staff_actor.user)

    response = client.post(
        f"/api/v1/incidents/{incident.key}/timeline/", {"text": "hi"}, format="json"
    )

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not incident.timeline.filter(text="hi").exists()


def test_token_write_needs_no_csrf_token(capsys, staff_actor):
    incident = make_incident(actor=staff_actor)
    call_command("create_api_token", staff_actor.user.get_username())
    token = capsys.readouterr().out.strip()
    client = APIClient(enforce_csrf_checks=True)

    response = client.post(
        f"/api/v1/incidents/{incident.key}/timeline/",
        {"text": "From the SIEM"},
        format="json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )

    assert response.status_code == 201
    entry = incident.timeline.get(text="From the SIEM")
    assert entry.actor_user == staff_actor.user
    # The history middleware sees no user on a token request, so the service sets it.
    assert entry.history.get().history_user == staff_actor.user
