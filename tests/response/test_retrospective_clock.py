import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from incidents.actors import Actor
from incidents.choices import (
    ClockKind,
    ClockState,
    RetrospectiveStatus,
    Severity,
    Status,
    TimelineKind,
)
from incidents.models import Clock, Retrospective
from incidents.services import incident_transition
from incidents.services.clocks import clock_sweep
from incidents.services.retrospectives import (
    retrospective_hold,
    retrospective_publish,
    retrospective_update,
)
from tests.factories import make_incident
from tests.response.conftest import advance

pytestmark = pytest.mark.django_db

# Thursday 12 March 2026: five business days later is Thursday 19 March.
RESOLVED = dt.datetime(2026, 3, 12, 15, 0, tzinfo=dt.UTC)


def at(day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=dt.UTC)


@pytest.fixture
def resolved(clock, commander, commander_actor):
    clock.move_to(RESOLVED)
    incident = make_incident(actor=commander_actor, severity=Severity.SEV2, commander=commander)
    incident = advance(clock, incident, Status.TRIAGED)
    return incident_transition(
        incident=incident,
        actor=commander_actor,
        to_status=Status.RESOLVED,
        override_reason="False alarm",
    )


def retro_clock(incident) -> Clock:
    return Clock.objects.get(incident=incident, kind=ClockKind.RETROSPECTIVE)


def retro_reminders(incident):
    return incident.timeline.filter(
        kind=TimelineKind.NOTIFICATION, text__contains="retrospective is due"
    )


def test_resolution_schedules_retrospective(resolved):
    retrospective = Retrospective.objects.get(incident=resolved)

    assert retrospective.status == RetrospectiveStatus.SCHEDULED
    assert retrospective.due_date == dt.date(2026, 3, 19)
    clock = retro_clock(resolved)
    assert clock.due_at == at(20)
    assert clock.remind_at == at(17)


def test_sev3_gets_no_retrospective(clock, commander_actor):
    incident = make_incident(actor=commander_actor, severity=Severity.SEV3)
    incident_transition(
        incident=incident, actor=commander_actor, to_status=Status.RESOLVED, override_reason="Noise"
    )

    assert not Retrospective.objects.filter(incident=incident).exists()


def test_reminders_two_days_before_and_on_due_day(resolved, clock):
    clock.move_to(at(16, 23, 59))
    clock_sweep()
    assert not retro_reminders(resolved).exists()

    clock.move_to(at(17, 0, 0))
    clock_sweep()
    clock_sweep()
    assert retro_reminders(resolved).count() == 1
    assert retro_clock(resolved).remind_at == at(19)

    clock.move_to(at(19, 8, 0))
    clock_sweep()
    clock_sweep()
    assert retro_reminders(resolved).count() == 2
    assert len(mail.outbox) == 2
    assert retro_clock(resolved).breached_at is None


def test_overdue_after_due_day_once(resolved, clock):
    clock.move_to(at(19, 23, 59))
    clock_sweep()
    assert retro_clock(resolved).breached_at is None

    clock.move_to(at(20, 0, 0))
    clock_sweep()
    clock_sweep()

    state = retro_clock(resolved)
    assert state.state == ClockState.BREACHED
    overdue = resolved.timeline.filter(
        kind=TimelineKind.CLOCK, text__startswith="Retrospective overdue"
    )
    assert overdue.count() == 1
    assert overdue.get().text == "Retrospective overdue: it was due by 2026-03-19"


def test_holding_meets_clock(resolved, clock, commander):
    retrospective = Retrospective.objects.get(incident=resolved)
    clock.move_to(at(18, 14))
    actor = Actor.for_user(commander)
    retrospective_update(retrospective=retrospective, actor=actor, attendees=[commander])

    retrospective_hold(retrospective=retrospective, actor=actor)
    clock.move_to(at(21))
    clock_sweep()

    assert retro_clock(resolved).state == ClockState.MET


def test_hold_needs_attendees(resolved, commander_actor):
    retrospective = Retrospective.objects.get(incident=resolved)

    with pytest.raises(ValidationError) as error:
        retrospective_hold(retrospective=retrospective, actor=commander_actor)

    assert "attendees" in error.value.message_dict


def test_publish_needs_every_section(resolved, commander, commander_actor):
    retrospective = Retrospective.objects.get(incident=resolved)
    retrospective_update(
        retrospective=retrospective, actor=commander_actor, attendees=[commander], summary="S"
    )
    retrospective_hold(retrospective=retrospective, actor=commander_actor)

    with pytest.raises(ValidationError) as error:
        retrospective_publish(retrospective=retrospective, actor=commander_actor)

    assert "summary" not in error.value.message_dict
    assert error.value.message_dict["lessons"] == [
        "A published retrospective needs this section: lessons."
    ]
    retrospective.refresh_from_db()
    assert retrospective.status == RetrospectiveStatus.HELD


def test_reopening_stops_retrospective_clock(resolved, clock, commander_actor):
    clock.move_to(at(13))

    incident_transition(incident=resolved, actor=commander_actor, to_status=Status.MITIGATING)

    assert retro_clock(resolved).state == ClockState.STOPPED
