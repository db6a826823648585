import threading

import pytest
from django.db import connection

from incidents.actors import Actor
from incidents.choices import ClockKind, Severity, TimelineKind
from incidents.models import Clock
from incidents.services.clocks import clock_sweep
from tests.factories import make_incident
from tests.response.conftest import START, minutes


@pytest.mark.django_db
def test_clock_history_names_the_clock(sev1, clock):
    clock.move_to(START + minutes(15))

    clock_sweep()

    engagement = Clock.objects.get(incident=sev1, kind=ClockKind.SECURITY_ENGAGEMENT)
    latest = engagement.history.first()
    assert latest.breached_at is not None
    assert latest.history_integration == "clock"
    assert latest.history_user is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite allows one writer, so sweeps cannot overlap"
)
def test_concurrent_sweeps_page_once(time_machine):
    time_machine.move_to(START, tick=False)
    incident = make_incident(actor=Actor.for_integration("test"), severity=Severity.SEV1)
    time_machine.move_to(START + minutes(15), tick=False)
    barrier = threading.Barrier(4)
    errors = []

    def sweep():
        try:
            barrier.wait()
            clock_sweep()
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert incident.timeline.filter(kind=TimelineKind.PAGE).count() == 1
    assert Clock.objects.get(incident=incident).breach_count == 1
