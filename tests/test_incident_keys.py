import threading
from datetime import UTC, datetime

import pytest
from django.db import connection, connections

from incidents.models import Incident
from tests.factories import make_incident


@pytest.mark.django_db
def test_keys_are_sequential_per_year(staff_actor):
    first = make_incident(actor=staff_actor, detected_at=datetime(2025, 3, 1, tzinfo=UTC))
    second = make_incident(actor=staff_actor, detected_at=datetime(2025, 3, 2, tzinfo=UTC))
    next_year = make_incident(actor=staff_actor, detected_at=datetime(2026, 1, 1, tzinfo=UTC))

    assert first.key == "INC-2025-0001"
    assert second.key == "INC-2025-0002"
    assert next_year.key == "INC-2026-0001"


@pytest.mark.django_db
def test_deleted_key_is_not_reused(staff_actor):
    first = make_incident(actor=staff_actor, detected_at=datetime(2026, 5, 1, tzinfo=UTC))
    first.timeline.all()._raw_delete(first.timeline.db)
    Incident.objects.filter(pk=first.pk).delete()

    second = make_incident(actor=staff_actor, detected_at=datetime(2026, 5, 2, tzinfo=UTC))

    assert second.key == "INC-2026-0002"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite serialises writers, so no race exists"
)
def test_concurrent_creation_gives_unique_keys(staff_actor):
    # given: several threads, each with its own database connection
    thread_count = 8
    per_thread = 5
    barrier = threading.Barrier(thread_count)
    keys: list[str] = []
    errors: list[BaseException] = []

    def open_incidents():
        try:
            barrier.wait()
            for _ in range(per_thread):
                incident = make_incident(
                    actor=staff_actor, detected_at=datetime(2026, 7, 1, tzinfo=UTC)
                )
                keys.append(incident.key)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    # when: they all open incidents at once
    threads = [threading.Thread(target=open_incidents) for _ in range(thread_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then: every key is distinct and the numbers have no gap
    assert errors == []
    assert len(keys) == thread_count * per_thread
    assert len(set(keys)) == len(keys)
    numbers = sorted(int(key.rsplit("-", 1)[1]) for key in keys)
    assert numbers == list(range(1, thread_count * per_thread + 1))
