import logging

import pytest

from incidents.choices import Severity, Status
from incidents.services import incident_change_severity, incident_transition
from integrations.fakes import Fault
from integrations.models import OutboxMessage, OutboxStatus, Target
from tests.factories import make_incident
from tests.integrations.conftest import drain

# Resolving skips the 24-hour monitoring window, which these tests do not exercise.
NO_WINDOW = "Resolved early in a test"

pytestmark = pytest.mark.django_db


def pagerduty_rows(incident):
    return list(
        OutboxMessage.objects.filter(incident=incident, target=Target.PAGERDUTY).order_by("pk")
    )


def test_opening_sev2_triggers_with_incident_key(live, staff_actor, time_machine):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV2)

    drain(time_machine)

    [row] = pagerduty_rows(incident)
    assert row.status == OutboxStatus.DELIVERED
    assert row.external_id == incident.key
    [event] = live.events
    assert event["event_action"] == "trigger"
    assert event["dedup_key"] == incident.key
    assert event["payload"]["source"] == "Academy – Communities Platform"
    assert event["payload"]["severity"] == "error"


@pytest.mark.parametrize("severity", [Severity.SEV3, Severity.SEV4])
def test_low_severity_does_not_page(live, staff_actor, severity, time_machine):
    incident = make_incident(actor=staff_actor, severity=severity)

    drain(time_machine)

    assert pagerduty_rows(incident) == []
    assert live.events == []


def test_trigger_severities_come_from_settings(live, settings, staff_actor, time_machine):
    settings.PAGERDUTY_TRIGGER_SEVERITIES = ["SEV0"]

    make_incident(actor=staff_actor, severity=Severity.SEV1)
    drain(time_machine)

    assert live.events == []


def test_severity_raised_into_range_triggers(live, staff_actor, time_machine):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV3)

    incident_change_severity(
        incident=incident, actor=staff_actor, severity=Severity.SEV1, reason="Data exposed"
    )
    drain(time_machine)

    assert [event["event_action"] for event in live.events] == ["trigger"]


def test_lifecycle_acknowledges_and_resolves(live, staff_actor, time_machine):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV1)
    incident = incident_transition(incident=incident, actor=staff_actor, to_status=Status.TRIAGED)
    incident = incident_transition(
        incident=incident, actor=staff_actor, to_status=Status.RESOLVED, override_reason=NO_WINDOW
    )

    drain(time_machine)

    assert [event["event_action"] for event in live.events] == [
        "trigger",
        "acknowledge",
        "resolve",
    ]
    [alert] = live.alerts_for(incident.key)
    assert alert["status"] == "resolved"


def test_reopen_triggers_new_alert_on_same_key(live, staff_actor, time_machine):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV1)
    incident = incident_transition(
        incident=incident, actor=staff_actor, to_status=Status.RESOLVED, override_reason=NO_WINDOW
    )
    drain(time_machine)

    incident = incident_transition(
        incident=incident, actor=staff_actor, to_status=Status.MITIGATING, note="Errors again"
    )
    drain(time_machine)

    alerts = live.alerts_for(incident.key)
    assert [alert["status"] for alert in alerts] == ["resolved", "triggered"]
    keys = [row.idempotency_key for row in pagerduty_rows(incident)]
    assert keys == [
        f"pagerduty:{incident.key}:1:trigger",
        f"pagerduty:{incident.key}:1:resolve",
        f"pagerduty:{incident.key}:2:trigger",
    ]


def test_redelivered_trigger_is_one_alert(live, staff_actor, time_machine):
    live.fail_next("pagerduty-events", Fault("lost"))
    incident = make_incident(actor=staff_actor, severity=Severity.SEV1)

    drain(time_machine)

    [row] = pagerduty_rows(incident)
    assert row.status == OutboxStatus.DELIVERED
    assert row.attempts == 2
    assert live.triggers_by_key() == {incident.key: 2}
    assert len(live.alerts_for(incident.key)) == 1


@pytest.mark.parametrize(
    "fault",
    [Fault("429", seconds=30), Fault("500"), Fault("timeout", seconds=2), Fault("malformed")],
    ids=["rate-limit", "server-error", "timeout", "malformed"],
)
def test_transient_failure_is_retried(live, staff_actor, fault, time_machine):
    live.fail_next("pagerduty-events", fault)
    incident = make_incident(actor=staff_actor, severity=Severity.SEV1)

    drain(time_machine)

    [row] = pagerduty_rows(incident)
    assert row.status == OutboxStatus.DELIVERED
    assert row.attempts == 2
    assert len(live.alerts_for(incident.key)) == 1


def test_rate_limit_waits_for_retry_after(live, staff_actor, time_machine):
    live.fail_next("pagerduty-events", Fault("429", seconds=900))
    incident = make_incident(actor=staff_actor, severity=Severity.SEV1)
    [row] = pagerduty_rows(incident)
    before = row.created_at

    from integrations.outbox import outbox_deliver

    outbox_deliver(message_id=row.pk)

    row.refresh_from_db()
    assert row.status == OutboxStatus.PENDING
    assert (row.next_attempt_at - before).total_seconds() >= 900
    assert "429" in row.last_error


def test_bad_request_fails_without_retry(live, staff_actor, time_machine):
    live.fail_next("pagerduty-events", Fault("400"))
    incident = make_incident(actor=staff_actor, severity=Severity.SEV1)

    drain(time_machine)

    [row] = pagerduty_rows(incident)
    assert row.status == OutboxStatus.FAILED
    assert row.attempts == 1
    assert "HTTP 400" in row.last_error
    assert live.alerts_for(incident.key) == []


def test_routing_key_is_never_stored_or_logged(live, staff_actor, caplog, time_machine):
    caplog.set_level(logging.DEBUG)
    live.fail_next("pagerduty-events", Fault("500"))
    incident = make_incident(actor=staff_actor, severity=Severity.SEV1)

    drain(time_machine)

    key = live.settings()["PAGERDUTY_ROUTING_KEY"]
    [row] = pagerduty_rows(incident)
    stored = f"{row.payload} {row.request} {row.response} {row.last_error}"
    history = " ".join(f"{old.request} {old.last_error}" for old in row.history.all())
    assert key not in stored
    assert key not in history
    assert key not in caplog.text
    assert row.request["json"]["routing_key"] == "[redacted]"
