import pytest

from incidents.choices import ClockKind, ClockState, Status, TimelineKind
from incidents.models import Clock
from incidents.services.clocks import clock_sweep
from tests.response.conftest import START, advance, minutes, send_update

pytestmark = pytest.mark.django_db


def update_clock(incident) -> Clock:
    return Clock.objects.get(incident=incident, kind=ClockKind.UPDATE)


def missed(incident):
    return incident.timeline.filter(
        kind=TimelineKind.CLOCK, text__startswith="Stakeholder update missed"
    )


def update_reminders(incident):
    return incident.timeline.filter(
        kind=TimelineKind.NOTIFICATION, text__contains="A stakeholder update is due"
    )


@pytest.fixture
def mitigating(sev1, clock):
    return advance(clock, sev1, Status.TRIAGED, Status.MITIGATING)


def test_mitigating_starts_30_minute_clock(mitigating):
    clock = update_clock(mitigating)

    assert clock.due_at == START + minutes(30)
    assert clock.remind_at == START + minutes(25)


def test_nothing_before_reminder(mitigating, clock):
    clock.move_to(START + minutes(25) - minutes(1 / 60))

    clock_sweep()

    assert not update_reminders(mitigating).exists()


def test_reminder_at_25_minutes_once(mitigating, clock):
    clock.move_to(START + minutes(25))

    clock_sweep()
    clock_sweep()

    assert update_reminders(mitigating).count() == 1
    assert update_clock(mitigating).breached_at is None


def test_breach_at_30_minutes_once(mitigating, clock):
    clock.move_to(START + minutes(30))

    clock_sweep()
    clock_sweep()

    state = update_clock(mitigating)
    assert state.state == ClockState.BREACHED
    assert state.breach_count == 1
    assert missed(mitigating).count() == 1


def test_sent_update_resets_clock(mitigating, clock, commander_actor):
    clock.move_to(START + minutes(20))

    send_update(mitigating, commander_actor)
    clock.move_to(START + minutes(30))
    clock_sweep()

    state = update_clock(mitigating)
    assert state.due_at == START + minutes(50)
    assert state.breached_at is None
    assert not missed(mitigating).exists()


def test_update_after_breach_clears_it(mitigating, clock, commander_actor):
    clock.move_to(START + minutes(31))
    clock_sweep()

    send_update(mitigating, commander_actor)

    state = update_clock(mitigating)
    assert state.state == ClockState.RUNNING
    assert state.breach_count == 1
    assert state.due_at == START + minutes(61)


def test_second_missed_update_counts_again(mitigating, clock, commander_actor):
    clock.move_to(START + minutes(31))
    clock_sweep()
    send_update(mitigating, commander_actor)
    clock.move_to(START + minutes(61))

    clock_sweep()

    assert update_clock(mitigating).breach_count == 2
    assert missed(mitigating).count() == 2


def test_unsent_draft_does_not_reset(mitigating, clock, commander_actor):
    from incidents.models.followup import Audience
    from incidents.services.communications import communication_draft

    clock.move_to(START + minutes(20))
    communication_draft(
        incident=mitigating,
        actor=commander_actor,
        audience=Audience.CUSTOMERS,
        subject="Draft only",
        body="Not sent",
    )

    assert update_clock(mitigating).due_at == START + minutes(30)


def test_leaving_mitigating_stops_clock(mitigating, clock):
    clock.move_to(START + minutes(10))
    advance(clock, mitigating, Status.MONITORING)
    clock.move_to(START + minutes(45))

    clock_sweep()

    assert update_clock(mitigating).state == ClockState.STOPPED
    assert not missed(mitigating).exists()
