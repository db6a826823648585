import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command

from incidents.actors import Actor
from incidents.choices import DataExposure, MemberImpact, Severity, Status
from incidents.metrics import response_metrics
from incidents.models import CommunicationTemplate, Incident, Runbook
from incidents.services import alert_ingest, incident_transition, incident_update
from incidents.services.clocks import clock_sweep
from incidents.services.communications import (
    communication_approve,
    communication_draft_from_template,
    communication_send,
)
from incidents.services.retrospectives import (
    remediation_create,
    retrospective_hold,
    retrospective_publish,
    retrospective_update,
)
from incidents.services.runbooks import runbook_start
from incidents.services.triage import incident_engage_security_lead, incident_triage
from incidents.triage import TriageAnswers
from tests.factories import UserFactory
from tests.response import journey
from tests.response.journey import at

pytestmark = pytest.mark.django_db


def send_customer_update(incident, actor):
    template = CommunicationTemplate.objects.get(slug="customer-update")
    draft = communication_draft_from_template(incident=incident, actor=actor, template=template)
    communication_approve(communication=draft, actor=actor)
    return communication_send(communication=draft, actor=actor)


def test_sev1_privacy_incident_journey(clock):
    commander = UserFactory(username="duty-engineer")
    lead = UserFactory(username="security-lead")
    comms = UserFactory(username="comms-lead")
    scribe = UserFactory(username="scribe")
    actor = Actor.for_user(commander)
    call_command("load_runbooks")

    # given: the Zendesk escalation opens a SEV1 security incident
    result = alert_ingest(journey.ZENDESK_ESCALATION)
    incident = result.incident
    assert result.opened_incident
    assert incident.severity == Severity.SEV1

    # triage confirms SEV1 and the duty engineer takes command
    clock.move_to(at(journey.TRIAGE_AT))
    assessment = incident_triage(
        incident=incident,
        actor=actor,
        answers=TriageAnswers(
            member_impact=MemberImpact.FEW,
            data_exposure=DataExposure.CONFIRMED,
            services_affected=1,
        ),
        severity=Severity.SEV1,
        reason="Three members affected; exposure is limited to names and e-mails",
    )
    assert assessment.suggested_severity == Severity.SEV0
    clock.move_to(at(journey.ROLES_AT))
    incident = incident_update(
        incident=incident,
        actor=actor,
        commander=commander,
        communications_lead=comms,
        scribe=scribe,
    )

    clock.move_to(at(journey.RUNBOOK_AT))
    for slug in ("incident-triage", "member-data-exposure"):
        runbook_start(incident=incident, actor=actor, runbook=Runbook.objects.get(slug=slug))
    kill_switch = incident.actions.get(title__startswith="Turn on the feature-flag kill switch")
    assert kill_switch.owner is None

    # the commander is reminded at 10 minutes; the security lead engages at 12
    clock.move_to(at(journey.REMINDER_AT))
    clock_sweep()
    assert mail.outbox[-1].to == ["duty-engineer@example.org"]
    clock.move_to(at(journey.ENGAGED_AT))
    incident = incident_engage_security_lead(incident=incident, actor=Actor.for_user(lead))
    assert incident.security_lead == lead

    # mitigation: one update in time, one missed, then sent late
    clock.move_to(at(journey.MITIGATING_AT))
    incident = incident_transition(incident=incident, actor=actor, to_status=Status.MITIGATING)
    clock.move_to(at(journey.FIRST_UPDATE_AT - 5))
    clock_sweep()
    clock.move_to(at(journey.FIRST_UPDATE_AT))
    send_customer_update(incident, actor)
    clock.move_to(at(journey.MISSED_CHECK_AT))
    clock_sweep()
    clock_sweep()
    clock.move_to(at(journey.SECOND_UPDATE_AT))
    send_customer_update(incident, Actor.for_user(comms))

    # monitoring: resolving a minute early is rejected, at 24 hours it is allowed
    clock.move_to(at(journey.MONITORING_AT))
    incident = incident_transition(incident=incident, actor=actor, to_status=Status.MONITORING)
    clock.move_to(at(journey.TOO_EARLY_AT))
    with pytest.raises(ValidationError):
        incident_transition(incident=incident, actor=actor, to_status=Status.RESOLVED)
    clock.move_to(at(journey.WINDOW_DONE_AT))
    clock_sweep()
    clock.move_to(at(journey.RESOLVED_AT))
    incident = incident_transition(incident=incident, actor=actor, to_status=Status.RESOLVED)
    assert incident.retrospective.due_date == journey.RETROSPECTIVE_DUE

    # closing waits for the published retrospective
    task = remediation_create(
        incident=incident,
        actor=actor,
        title="Add the member id to profile cache keys",
        owner=lead,
        due_date=journey.RETROSPECTIVE_DUE,
    )
    with pytest.raises(ValidationError) as error:
        incident_transition(incident=incident, actor=actor, to_status=Status.CLOSED)
    assert "published retrospective" in error.value.message_dict["status"][0]

    clock.move_to(journey.RETROSPECTIVE_HELD)
    clock_sweep()
    retrospective = retrospective_update(
        retrospective=incident.retrospective,
        actor=actor,
        attendees=[commander, lead, comms, scribe],
        facilitator=scribe,
        **journey.WRITE_UP,
    )
    retrospective_hold(retrospective=retrospective, actor=actor)
    retrospective_publish(retrospective=retrospective, actor=actor)
    incident = incident_transition(incident=incident, actor=actor, to_status=Status.CLOSED)

    # then
    assert incident.status == Status.CLOSED
    assert task.owner == lead
    journey.assert_journey_outcome(incident)
    report = response_metrics(Incident.objects.all())
    assert [figures.key for figures in report.flagged] == [incident.key]
