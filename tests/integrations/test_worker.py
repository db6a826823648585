"""Delivery by real Celery workers on a Redis of the test's own, through failures."""

import pytest

from incidents.actors import Actor
from incidents.choices import Severity
from integrations import outbox
from integrations.fakes import Fault
from integrations.fakes.google import write_service_account
from integrations.models import OutboxMessage, OutboxStatus, Target
from tests.factories import UserFactory, make_incident
from tests.integrations.processes import CeleryWorker, RedisServer, database_url, wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

FINISHED = (OutboxStatus.DELIVERED, OutboxStatus.FAILED, OutboxStatus.DRY_RUN)


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def worker_env(live, redis_server, tmp_path):
    env = dict(live.settings())
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis_server.url,
            "GOOGLE_SERVICE_ACCOUNT_FILE": write_service_account(
                tmp_path / "worker-service-account.json", f"{live.base_url}/google/token"
            ),
            "INTEGRATIONS_HTTP_TIMEOUT_SECONDS": "2",
            "OUTBOX_SWEEP_INTERVAL_SECONDS": "1",
            "OUTBOX_REQUEUE_AFTER_SECONDS": "2",
            "OUTBOX_LEASE_SECONDS": "6",
            "OUTBOX_BACKOFF_BASE_SECONDS": "1",
            "OUTBOX_BACKOFF_MAX_SECONDS": "2",
        }
    )
    return env


@pytest.fixture
def workers(worker_env, tmp_path):
    started = []

    def start(name: str) -> CeleryWorker:
        worker = CeleryWorker(env=worker_env, folder=tmp_path, name=name)
        worker.start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def publish_lost(monkeypatch):
    """Drop this process's publishes: the test's rows reach the broker only by the sweeper."""
    monkeypatch.setattr(outbox, "publish", lambda message_id: None)


def all_finished() -> bool:
    return not OutboxMessage.objects.exclude(status__in=FINISHED).exists()


def test_redis_restart_loses_nothing(live, redis_server, workers, publish_lost):
    # given: a worker delivering slowly, and incidents opened before and while Redis is down
    live.delay_seconds = 0.1
    worker = workers("restart")
    actor = UserFactory(username="redis-restart")
    before = [
        make_incident(actor=Actor.for_user(actor), severity=Severity.SEV1, title=f"Before {n}")
        for n in range(15)
    ]
    wait_until(
        lambda: OutboxMessage.objects.filter(status=OutboxStatus.DELIVERED).exists(),
        timeout=60,
        message="The worker delivered no row. Its log:\n" + worker.log()[-3000:],
    )

    # when: Redis stops mid-run, more incidents open, and Redis comes back empty
    redis_server.stop()
    delivered_at_stop = OutboxMessage.objects.filter(status=OutboxStatus.DELIVERED).count()
    during = [
        make_incident(actor=Actor.for_user(actor), severity=Severity.SEV1, title=f"During {n}")
        for n in range(15)
    ]
    redis_server.start()

    # then: Redis stopped mid-run, yet every row is delivered, each effect once
    assert delivered_at_stop < 2 * len(before)
    wait_until(
        all_finished,
        timeout=120,
        message="Rows were still waiting. Worker log:\n" + worker.log()[-3000:],
    )
    incidents = before + during
    rows = OutboxMessage.objects.all()
    assert {row.status for row in rows} == {OutboxStatus.DELIVERED}
    assert rows.filter(target=Target.PAGERDUTY).count() == len(incidents)
    for incident in incidents:
        assert len(live.alerts_for(incident.key)) == 1
    parents = [message for message in live.messages if message["thread_ts"] is None]
    assert len(parents) == len(incidents)
    assert len({message["text"] for message in parents}) == len(incidents)


def test_killed_worker_effect_happens_once(live, workers, publish_lost):
    # given: the first PagerDuty event is held at the fake until released
    live.fail_next("pagerduty-events", Fault("hold"))
    first = workers("first")
    incident = make_incident(severity=Severity.SEV1)
    wait_until(live.held.is_set, timeout=60, message=first.log()[-3000:])

    # when: the worker dies mid-call, and the call then reaches PagerDuty
    first.kill()
    live.released.set()
    wait_until(lambda: len(live.alerts_for(incident.key)) == 1, timeout=10)
    second = workers("second")

    # then: the second worker takes the row over once its claim expires, and the
    # repeated trigger carries the same dedup_key, so PagerDuty has one alert
    wait_until(all_finished, timeout=90, message=second.log()[-3000:])
    row = OutboxMessage.objects.get(target=Target.PAGERDUTY, incident=incident)
    assert row.status == OutboxStatus.DELIVERED
    assert row.attempts == 2
    assert live.triggers_by_key() == {incident.key: 2}
    assert len(live.alerts_for(incident.key)) == 1
