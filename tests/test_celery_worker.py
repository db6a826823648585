"""A real Celery worker, started as a process, runs a task against the real broker."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from incidents.choices import TimelineKind
from incidents.models import TimelineEntry
from tests.factories import make_incident

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.REDIS_URL, reason="REDIS_URL is not set, so there is no broker"
    ),
]

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _database_url_of_test_database() -> str:
    """Point the worker at the database this test writes to, not the configured one."""
    database = connection.settings_dict
    if database["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{database['NAME']}"
    user = database["USER"] or "postgres"
    host = database["HOST"] or "127.0.0.1"
    port = database["PORT"] or 5432
    return f"postgres://{user}@{host}:{port}/{database['NAME']}"


@pytest.fixture
def worker():
    env = {
        **os.environ,
        "DATABASE_URL": _database_url_of_test_database(),
        "REDIS_URL": settings.REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "WARNING",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def test_worker_runs_opened_notification(worker, staff_actor, settings):
    # given: tasks go to the broker instead of running in-process
    settings.CELERY_TASK_ALWAYS_EAGER = False
    from config.celery import app

    app.conf.task_always_eager = False
    try:
        # when: an incident opens, its notification task is queued on commit
        incident = make_incident(actor=staff_actor)

        # then: the worker process runs it and writes its timeline entry
        deadline = time.monotonic() + 60
        entry = None
        while time.monotonic() < deadline and entry is None:
            entry = TimelineEntry.objects.filter(
                incident=incident, kind=TimelineKind.NOTIFICATION
            ).first()
            if worker.poll() is not None:
                pytest.fail(f"The worker exited: {worker.stdout.read().decode()}")
            time.sleep(0.2)
    finally:
        app.conf.task_always_eager = True

    assert entry is not None, "the worker did not run the task within 60 seconds"
    assert entry.actor_integration == "notifications"
    assert entry.data["requested_by"] == staff_actor.user.username
    history_row = entry.history.get()
    assert history_row.history_user == staff_actor.user
