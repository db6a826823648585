import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from incidents.choices import Severity, Status
from incidents.models import RemediationStatus, Retrospective
from incidents.services import incident_transition
from incidents.services.retrospectives import (
    remediation_create,
    remediation_update,
    retrospective_hold,
    retrospective_publish,
    retrospective_update,
)
from tests.factories import make_incident

pytestmark = pytest.mark.django_db

DUE = dt.date(2026, 4, 1)
WRITE_UP = {
    "summary": "Profiles leaked through a cached page.",
    "impact": "312 members saw another member's e-mail address.",
    "contributing_factors": "A cache key without the member id.",
    "went_well": "Containment within 20 minutes.",
    "went_poorly": "The first update was late.",
    "lessons": "Review cache keys in code review.",
}


def resolved_incident(actor, severity):
    incident = make_incident(actor=actor, severity=severity)
    return incident_transition(
        incident=incident, actor=actor, to_status=Status.RESOLVED, override_reason="Test"
    )


def close_problems(incident, actor) -> list[str]:
    with pytest.raises(ValidationError) as error:
        incident_transition(incident=incident, actor=actor, to_status=Status.CLOSED)
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED
    return error.value.message_dict["status"]


def publish(retrospective, actor, attendee):
    retrospective_update(retrospective=retrospective, actor=actor, attendees=[attendee], **WRITE_UP)
    retrospective_hold(retrospective=retrospective, actor=actor)
    return retrospective_publish(retrospective=retrospective, actor=actor)


def test_unpublished_retrospective_blocks_sev1(clock, commander_actor):
    incident = resolved_incident(commander_actor, Severity.SEV1)

    problems = close_problems(incident, commander_actor)

    assert problems == [
        f"Cannot close {incident.key}: SEV1 needs a published retrospective, and it is scheduled."
    ]


def test_missing_retrospective_blocks_sev2(clock, commander_actor):
    incident = resolved_incident(commander_actor, Severity.SEV2)
    Retrospective.objects.filter(incident=incident).delete()

    problems = close_problems(incident, commander_actor)

    assert problems == [
        f"Cannot close {incident.key}: SEV2 needs a published retrospective, and none exists."
    ]


def test_task_without_owner_blocks(clock, commander_actor):
    incident = resolved_incident(commander_actor, Severity.SEV3)
    remediation_create(
        incident=incident, actor=commander_actor, title="Add cache key test", due_date=DUE
    )

    problems = close_problems(incident, commander_actor)

    assert problems == [
        f"Cannot close {incident.key}: remediation task 'Add cache key test' has no owner."
    ]


def test_task_without_due_date_blocks(clock, commander, commander_actor):
    incident = resolved_incident(commander_actor, Severity.SEV4)
    remediation_create(
        incident=incident, actor=commander_actor, title="Rotate keys", owner=commander
    )

    problems = close_problems(incident, commander_actor)

    assert problems == [
        f"Cannot close {incident.key}: remediation task 'Rotate keys' has no due date."
    ]


def test_every_problem_listed(clock, commander_actor):
    incident = resolved_incident(commander_actor, Severity.SEV0)
    remediation_create(incident=incident, actor=commander_actor, title="Fix")

    problems = close_problems(incident, commander_actor)

    assert len(problems) == 3


def test_wont_do_task_does_not_block(clock, commander_actor):
    incident = resolved_incident(commander_actor, Severity.SEV3)
    task = remediation_create(incident=incident, actor=commander_actor, title="Rewrite cache")
    remediation_update(task=task, actor=commander_actor, status=RemediationStatus.WONT_DO)

    incident = incident_transition(
        incident=incident, actor=commander_actor, to_status=Status.CLOSED
    )

    assert incident.status == Status.CLOSED


def test_sev1_closes_when_gates_pass(clock, commander, commander_actor):
    incident = resolved_incident(commander_actor, Severity.SEV1)
    remediation_create(
        incident=incident, actor=commander_actor, title="Fix", owner=commander, due_date=DUE
    )
    publish(incident.retrospective, commander_actor, commander)

    incident = incident_transition(
        incident=incident, actor=commander_actor, to_status=Status.CLOSED
    )

    assert incident.status == Status.CLOSED
    assert incident.closed_at is not None
