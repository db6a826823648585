import datetime as dt

import pytest

from incidents.actors import Actor
from incidents.choices import Category, Severity
from tests.factories import UserFactory, make_incident

# A Tuesday with no public holiday near it, 09:00 UTC.
START = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock(time_machine):
    """The frozen current time, starting at START; move it with clock.move_to(...)."""
    time_machine.move_to(START, tick=False)
    return time_machine


@pytest.fixture
def commander(db):
    return UserFactory(username="commander")


@pytest.fixture
def security_lead(db):
    return UserFactory(username="security-lead")


@pytest.fixture
def commander_actor(commander):
    return Actor.for_user(commander)


@pytest.fixture
def sev1(clock, commander, commander_actor):
    return make_incident(
        actor=commander_actor,
        title="Member profile data visible to other members",
        category=Category.SECURITY,
        severity=Severity.SEV1,
        commander=commander,
    )


def minutes(count: float) -> dt.timedelta:
    return dt.timedelta(minutes=count)


def advance(clock, incident, *statuses, actor=None):
    """Move the incident through each status in turn at the frozen current time."""
    from incidents.services import incident_transition

    for status in statuses:
        incident = incident_transition(
            incident=incident, actor=actor or Actor.for_integration("test"), to_status=status
        )
    return incident


def send_update(incident, actor, subject="Investigating"):
    """Draft, approve and send one customer update."""
    from incidents.models.followup import Audience
    from incidents.services.communications import (
        communication_approve,
        communication_draft,
        communication_send,
    )

    draft = communication_draft(
        incident=incident, actor=actor, audience=Audience.CUSTOMERS, subject=subject, body="Text"
    )
    communication_approve(communication=draft, actor=actor)
    return communication_send(communication=draft, actor=actor)
