import threading

import pytest
from django.db import connection

from incidents.choices import Severity
from integrations import outbox
from integrations.models import OutboxMessage, OutboxStatus, Target
from integrations.outbox import outbox_deliver
from tests.factories import make_incident

WORKERS = 4


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises writers and may time out a waiting thread with 'locked'",
)
def test_concurrent_workers_send_once(live, monkeypatch):
    monkeypatch.setattr(outbox, "publish", lambda message_id: None)
    incident = make_incident(severity=Severity.SEV1)
    row = OutboxMessage.objects.get(target=Target.PAGERDUTY, incident=incident)
    start = threading.Barrier(WORKERS)
    results = []

    def deliver():
        start.wait()
        try:
            results.append(outbox_deliver(message_id=row.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    claimed = [result for result in results if result is not None]
    assert len(results) == WORKERS
    assert len(claimed) == 1
    assert claimed[0].status == OutboxStatus.DELIVERED
    assert len(live.events) == 1
