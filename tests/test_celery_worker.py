"""A real Celery worker, started as a process, runs a task against the real broker."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from incidents.tasks import enqueue_on_commit
from reports.models import ReportExport
from reports.tasks import report_export_task
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


def test_worker_exports_report_as_user(worker, staff_actor, settings):
    # given: an incident, and tasks that go to the broker instead of running in-process
    incident = make_incident(actor=staff_actor)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    from config.celery import app

    app.conf.task_always_eager = False
    try:
        # when: an export is queued on commit, as the admin action does
        with transaction.atomic():
            enqueue_on_commit(report_export_task, incident.pk, staff_actor.to_task_argument())

        # then: the worker process runs it and stores the export
        deadline = time.monotonic() + 90
        export = None
        while time.monotonic() < deadline and export is None:
            export = ReportExport.objects.filter(incident=incident).first()
            if worker.poll() is not None:
                pytest.fail(f"The worker exited: {worker.stdout.read().decode()}")
            time.sleep(0.2)
    finally:
        app.conf.task_always_eager = True

    assert export is not None, "the worker did not run the task within 90 seconds"
    assert export.generated_by == staff_actor.user
    assert export.history.get().history_user == staff_actor.user
    assert incident.timeline.filter(text__startswith="Report exported by duty-engineer").exists()
