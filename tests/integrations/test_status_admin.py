from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.urls import reverse
from simple_history.models import HistoricalRecords

from incidents.actors import Actor
from incidents.audit import acting_as
from incidents.choices import Severity
from integrations.fakes import Fault
from integrations.models import OutboxMessage, OutboxStatus, Target
from tests.factories import make_incident
from tests.integrations.conftest import drain

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_for(client, staff_user):
    staff_user.is_superuser = True
    staff_user.save()
    client.force_login(staff_user)
    return client


def test_status_command_lists_modes(dry_run, capsys, staff_actor, time_machine):
    make_incident(actor=staff_actor, severity=Severity.SEV1)
    drain(time_machine)

    call_command("integrations_status")

    output = capsys.readouterr().out
    assert "PagerDuty: dry run" in output
    assert "missing settings: PAGERDUTY_ROUTING_KEY" in output
    assert "Jira: dry run" in output
    assert "Google Drive: dry run" in output
    pagerduty = output.split("PagerDuty: dry run")[1].split("Slack:")[0]
    assert "last delivered: never" in pagerduty
    assert "last recorded in dry run: never" not in pagerduty


def test_status_command_shows_failure(live, capsys, staff_actor, time_machine):
    live.fail_next("pagerduty-events", Fault("400"))
    make_incident(actor=staff_actor, severity=Severity.SEV1)
    drain(time_machine)

    call_command("integrations_status")

    output = capsys.readouterr().out
    assert "PagerDuty: live" in output
    assert "HTTP 400" in output
    assert "waiting: 0, failed: 1" in output


def test_admin_lists_failed_row_with_error(live, admin_client_for, staff_actor, time_machine):
    live.fail_next("pagerduty-events", Fault("400"))
    make_incident(actor=staff_actor, severity=Severity.SEV1)
    drain(time_machine)

    url = reverse("admin:integrations_outboxmessage_changelist") + "?status__exact=failed"
    response = admin_client_for.get(url)

    assert response.status_code == 200
    assert "HTTP 400" in response.content.decode()


def test_admin_action_retries_failed_row(live, admin_client_for, staff_actor, time_machine):
    live.fail_next("pagerduty-events", Fault("400"))
    make_incident(actor=staff_actor, severity=Severity.SEV1)
    drain(time_machine)
    row = OutboxMessage.objects.get(target=Target.PAGERDUTY)

    response = admin_client_for.post(
        reverse("admin:integrations_outboxmessage_changelist"),
        {"action": "retry_failed", "_selected_action": [row.pk]},
        follow=True,
    )
    drain(time_machine)

    assert "Queued 1 row(s) again" in response.content.decode()
    row.refresh_from_db()
    assert row.status == OutboxStatus.DELIVERED


def test_attempt_in_staff_request_has_no_user(staff_user):
    # Without a broker, the retry action's attempt runs inside the staff user's request.
    HistoricalRecords.context.request = SimpleNamespace(user=staff_user)
    try:
        with acting_as(Actor.for_integration("jira")):
            row = OutboxMessage.objects.create(
                target=Target.JIRA, operation="create_issue", idempotency_key="jira:task:1:create"
            )
    finally:
        del HistoricalRecords.context.request

    record = row.history.get()
    assert record.history_user is None
    assert record.history_integration == "jira"


def test_admin_status_page_lists_integrations(dry_run, admin_client_for):
    response = admin_client_for.get(reverse("admin:integrations_status"))

    content = response.content.decode()
    assert response.status_code == 200
    for label in ("PagerDuty", "Jira", "Slack", "Google Drive"):
        assert label in content
    assert "dry run" in content


def test_admin_shows_dry_run_request(dry_run, admin_client_for, staff_actor, time_machine):
    make_incident(actor=staff_actor, severity=Severity.SEV1)
    drain(time_machine)
    row = OutboxMessage.objects.get(target=Target.PAGERDUTY)

    response = admin_client_for.get(
        reverse("admin:integrations_outboxmessage_change", args=[row.pk])
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "https://events.pagerduty.com/v2/enqueue" in content
