import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from incidents.actors import Actor
from incidents.choices import ClockKind, ClockState, Status, TimelineKind
from incidents.models import Clock
from incidents.services import incident_transition
from incidents.services.clocks import clock_sweep
from tests.response.conftest import START, advance

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(hours=24)
SECOND = dt.timedelta(seconds=1)


def monitoring_clock(incident) -> Clock:
    return Clock.objects.get(incident=incident, kind=ClockKind.MONITORING)


@pytest.fixture
def monitoring(sev1, clock):
    return advance(clock, sev1, Status.TRIAGED, Status.MITIGATING, Status.MONITORING)


def resolve(incident, **kwargs):
    return incident_transition(
        incident=incident,
        actor=Actor.for_integration("test"),
        to_status=Status.RESOLVED,
        **kwargs,
    )


def test_resolve_before_window_rejected(monitoring, clock):
    clock.move_to(START + DAY - SECOND)

    with pytest.raises(ValidationError) as error:
        resolve(monitoring)

    message = error.value.message_dict["status"][0]
    assert "before its monitoring window ends at 2026-03-11 09:00 UTC" in message
    assert "override reason" in message
    monitoring.refresh_from_db()
    assert monitoring.status == Status.MONITORING


def test_resolve_at_window_end_allowed(monitoring, clock):
    clock.move_to(START + DAY)

    incident = resolve(monitoring)

    assert incident.status == Status.RESOLVED
    assert monitoring_clock(incident).state == ClockState.MET


def test_sweep_completes_window_once(monitoring, clock):
    clock.move_to(START + DAY)

    clock_sweep()
    clock_sweep()

    state = monitoring_clock(monitoring)
    assert state.met_at == START + DAY
    complete = monitoring.timeline.filter(kind=TimelineKind.CLOCK, text__contains="window complete")
    assert complete.count() == 1


def test_sweep_before_window_end_does_nothing(monitoring, clock):
    clock.move_to(START + DAY - SECOND)

    clock_sweep()

    assert monitoring_clock(monitoring).state == ClockState.RUNNING


def test_override_resolves_early_with_reason(monitoring, clock):
    clock.move_to(START + dt.timedelta(hours=2))

    incident = resolve(monitoring, override_reason="Fix verified by the vendor")

    assert incident.status == Status.RESOLVED
    state = monitoring_clock(incident)
    assert state.state == ClockState.STOPPED
    assert "Fix verified by the vendor" in state.stop_reason
    entry = incident.timeline.filter(kind=TimelineKind.STATUS).last()
    assert entry.data["override_reason"] == "Fix verified by the vendor"


def test_resolve_without_monitoring_needs_override(sev1, clock):
    incident = advance(clock, sev1, Status.TRIAGED)

    with pytest.raises(ValidationError) as error:
        resolve(incident)

    message = error.value.message_dict["status"][0]
    assert "from triaged: it has not completed 24 hours of monitoring" in message


def test_back_to_mitigating_restarts_window(monitoring, clock):
    clock.move_to(START + dt.timedelta(hours=3))
    advance(clock, monitoring, Status.MITIGATING)
    clock.move_to(START + dt.timedelta(hours=4))
    incident = advance(clock, monitoring, Status.MONITORING)

    assert monitoring_clock(incident).due_at == START + dt.timedelta(hours=28)
    clock.move_to(START + dt.timedelta(hours=25))
    with pytest.raises(ValidationError):
        resolve(incident)
