import datetime

import pytest

from incidents.choices import AlertSource, Severity, Status, TimelineKind
from incidents.models import Alert, Incident
from incidents.services import (
    AlertInput,
    alert_ingest,
    incident_change_severity,
    incident_transition,
)
from integrations.fakes import Fault
from integrations.models import OutboxMessage, OutboxStatus, PagerDutyIncident, Target
from integrations.services import (
    page_security_lead,
    pagerduty_incident_acknowledged,
    pagerduty_incident_triggered,
)
from tests.factories import make_incident
from tests.integrations.conftest import drain

pytestmark = pytest.mark.django_db

ACK_TIME = datetime.datetime(2026, 12, 4, 9, 7, tzinfo=datetime.UTC)
DETECTED = ACK_TIME - datetime.timedelta(minutes=5)


def page_rows():
    return OutboxMessage.objects.filter(target=Target.PAGERDUTY, operation="page_security_lead")


def test_page_adds_responder_request(live, staff_actor, time_machine):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV1)
    drain(time_machine)

    page_security_lead(incident=incident, actor=staff_actor)
    drain(time_machine)

    [pagerduty_incident] = live.pagerduty_incidents.values()
    [request] = pagerduty_incident["responder_requests"]
    target = request["responder_request_targets"][0]["responder_request_target"]
    assert target == {"id": "PSECPOL", "type": "escalation_policy_reference"}
    assert request["requester_id"] == "PREQ001"
    row = page_rows().get()
    assert row.status == OutboxStatus.DELIVERED
    assert row.external_id == pagerduty_incident["id"]
    # The escalation service, not this outbox writer, records the page on the timeline.
    assert not incident.timeline.filter(kind=TimelineKind.NOTIFICATION).exists()


def test_page_without_alert_opens_incident(live, staff_actor, time_machine):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV3)

    page_security_lead(incident=incident, actor=staff_actor)
    drain(time_machine)

    [opened] = live.pagerduty_incidents.values()
    assert opened["incident_key"] == f"{incident.key}-security-lead"
    assert opened["service"]["id"] == "PSVC001"
    assert opened["escalation_policy"]["id"] == "PSECPOL"


def test_lost_page_response_pages_once(live, staff_actor, time_machine):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV3)
    # Lookup by key and by service name go through; the creation's response is lost.
    live.fail_next("pagerduty", None, None, Fault("lost"))

    page_security_lead(incident=incident, actor=staff_actor)
    drain(time_machine)

    assert len(live.pagerduty_incidents) == 1
    row = page_rows().get()
    assert row.status == OutboxStatus.DELIVERED
    assert row.attempts == 2


def test_page_twice_pages_once(live, staff_actor, time_machine):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV3)

    first = page_security_lead(incident=incident, actor=staff_actor)
    second = page_security_lead(incident=incident, actor=staff_actor)

    assert first.pk == second.pk
    assert page_rows().count() == 1


def test_page_dry_run_records_request(dry_run, staff_actor, time_machine):
    dry_run.PAGERDUTY_SECURITY_ESCALATION_POLICY_ID = "PSECPOL"
    incident = make_incident(actor=staff_actor, severity=Severity.SEV3)

    page_security_lead(incident=incident, actor=staff_actor)
    drain(time_machine)

    row = page_rows().get()
    assert row.status == OutboxStatus.DRY_RUN
    assert row.request["url"] == "https://api.pagerduty.com/incidents"
    assert row.request["json"]["incident"]["escalation_policy"]["id"] == "PSECPOL"


def test_acknowledgement_sets_mtta(live, staff_actor, time_machine):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV1, detected_at=DETECTED)
    drain(time_machine)

    updated = pagerduty_incident_acknowledged(
        pagerduty_incident_id="PINC0001",
        incident_key=incident.key,
        acknowledged_at=ACK_TIME,
        acknowledged_by="PUSER01",
    )

    assert updated.acknowledged_at == ACK_TIME
    assert updated.time_to_acknowledge == ACK_TIME - incident.detected_at
    assert updated.status == Status.DETECTED
    entry = incident.timeline.filter(actor_integration="pagerduty").get()
    assert entry.text == "Acknowledged in PagerDuty by PUSER01"
    assert entry.occurred_at == ACK_TIME
    assert PagerDutyIncident.objects.get(pagerduty_id="PINC0001").incident == incident
    # The acknowledgement came from PagerDuty: nothing is sent back to it.
    assert not OutboxMessage.objects.filter(operation="acknowledge").exists()


def test_repeated_acknowledgement_changes_nothing(live, staff_actor, time_machine):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV1)
    for _ in range(2):
        pagerduty_incident_acknowledged(
            pagerduty_incident_id="PINC0001", incident_key=incident.key, acknowledged_at=ACK_TIME
        )

    assert incident.timeline.filter(actor_integration="pagerduty").count() == 1


def test_earliest_acknowledgement_counts(staff_actor):
    incident = make_incident(
        actor=staff_actor,
        severity=Severity.SEV1,
        detected_at=DETECTED - datetime.timedelta(hours=1),
    )
    incident = incident_transition(incident=incident, actor=staff_actor, to_status=Status.TRIAGED)
    earlier = incident.acknowledged_at - datetime.timedelta(minutes=3)

    updated = pagerduty_incident_acknowledged(
        pagerduty_incident_id="PINC0009", incident_key=incident.key, acknowledged_at=earlier
    )

    assert updated.acknowledged_at == earlier


def test_acknowledgement_before_detection_counts_zero(staff_actor):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV1, detected_at=ACK_TIME)

    updated = pagerduty_incident_acknowledged(
        pagerduty_incident_id="PINC0002",
        incident_key=incident.key,
        acknowledged_at=ACK_TIME - datetime.timedelta(minutes=2),
    )

    assert updated.acknowledged_at == ACK_TIME
    assert updated.time_to_acknowledge == datetime.timedelta(0)


def test_unknown_acknowledgement_is_ignored(db):
    result = pagerduty_incident_acknowledged(
        pagerduty_incident_id="PUNKNOWN", acknowledged_at=ACK_TIME
    )

    assert result is None


def test_own_trigger_links_to_incident(staff_actor):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV1)

    linked = pagerduty_incident_triggered(
        pagerduty_incident_id="PINC0001", title="x", incident_key=incident.key
    )

    assert linked == incident
    assert Incident.objects.count() == 1


def test_zendesk_escalation_joins_ticket_incident(staff_actor):
    result = alert_ingest(
        AlertInput(
            source=AlertSource.ZENDESK,
            external_id="zendesk-delivery-1",
            dedup_key="ticket:4711",
            signal="trigger",
            title="Member cannot log in after password reset",
            category="security",
            severity=Severity.SEV2,
            payload={"ticket": {"id": 4711}},
        )
    )

    linked = pagerduty_incident_triggered(
        pagerduty_incident_id="PZD0001",
        title="Zendesk #4711 escalated",
        zendesk_ticket_id="4711",
    )

    assert linked == result.incident
    assert Incident.objects.count() == 1
    entry = linked.timeline.filter(actor_integration="pagerduty").get()
    assert "Zendesk ticket 4711" in entry.text


def test_zendesk_escalation_opens_incident(db):
    opened = pagerduty_incident_triggered(
        pagerduty_incident_id="PZD0002",
        title="Zendesk #5000 escalated",
        urgency="high",
        zendesk_ticket_id="5000",
    )
    again = pagerduty_incident_triggered(
        pagerduty_incident_id="PZD0002", title="Zendesk #5000 escalated", zendesk_ticket_id="5000"
    )

    assert opened == again
    assert opened.severity == Severity.SEV2
    alert = Alert.objects.get(incident=opened)
    # Stored as the ticket's alert, so the ticket's own webhook joins the same incident.
    assert alert.source == AlertSource.ZENDESK
    assert alert.dedup_key == "ticket:5000"
    assert alert.external_id == "pagerduty:PZD0002"


def test_other_pagerduty_incident_opens_incident(db):
    opened = pagerduty_incident_triggered(
        pagerduty_incident_id="PDB0003", title="Replica lag above 30 s", urgency="low"
    )

    alert = Alert.objects.get(incident=opened)
    assert alert.source == AlertSource.PAGERDUTY
    assert alert.dedup_key == "PDB0003"


def test_incident_from_pagerduty_is_not_paged_again(dry_run, time_machine):
    opened = pagerduty_incident_triggered(
        pagerduty_incident_id="PDB0004", title="Replica lag above 30 s", urgency="high"
    )
    drain(time_machine)

    assert opened.severity == Severity.SEV2
    assert not OutboxMessage.objects.filter(
        incident=opened, target=Target.PAGERDUTY, operation="trigger"
    ).exists()


def test_raising_pagerduty_opened_incident_pages_nothing(staff_actor):
    # given: an incident PagerDuty opened at low urgency, below the paging range
    opened = pagerduty_incident_triggered(
        pagerduty_incident_id="PLOW0001", title="Replica lag above 30 s", urgency="low"
    )
    assert opened.severity == Severity.SEV3

    # when: it is raised into the paging range
    incident_change_severity(
        incident=opened, actor=staff_actor, severity=Severity.SEV1, reason="Members affected"
    )

    # then: PagerDuty already pages through its own incident, so nothing is triggered
    assert not OutboxMessage.objects.filter(target=Target.PAGERDUTY).exists()


def test_raising_own_incident_pages(staff_actor):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV3)

    incident_change_severity(
        incident=incident, actor=staff_actor, severity=Severity.SEV1, reason="Members affected"
    )

    triggers = OutboxMessage.objects.filter(target=Target.PAGERDUTY, operation="trigger")
    assert triggers.count() == 1


def test_kept_acknowledgement_counts_when_key_arrives(staff_actor):
    # given: an acknowledgement with no incident key, kept because it matched nothing
    incident = make_incident(actor=staff_actor, severity=Severity.SEV1, detected_at=DETECTED)
    kept = pagerduty_incident_acknowledged(
        pagerduty_incident_id="PLATE001", acknowledged_at=ACK_TIME, acknowledged_by="PUSER01"
    )
    assert kept is None

    # when: a redelivery names the incident by its key
    updated = pagerduty_incident_acknowledged(
        pagerduty_incident_id="PLATE001",
        acknowledged_at=ACK_TIME + datetime.timedelta(minutes=9),
        incident_key=incident.key,
    )

    # then: the kept, earlier acknowledgement counts, once
    assert updated.acknowledged_at == ACK_TIME
    assert PagerDutyIncident.objects.get(pagerduty_id="PLATE001").incident == incident
    entries = incident.timeline.filter(text__startswith="Acknowledged in PagerDuty")
    assert [entry.text for entry in entries] == ["Acknowledged in PagerDuty by PUSER01"]
