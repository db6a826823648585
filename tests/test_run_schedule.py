from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from incidents.choices import ClockKind, Severity
from incidents.models import Clock
from tests.factories import make_incident

pytestmark = pytest.mark.django_db


def test_once_runs_clock_sweep(staff_actor, time_machine, caplog):
    # given: a SEV1 whose security lead engagement is overdue
    incident = make_incident(actor=staff_actor, severity=Severity.SEV1)
    time_machine.move_to(timezone.now() + timedelta(minutes=16), tick=False)

    # when
    with caplog.at_level("INFO"):
        call_command("run_schedule", "--once")

    # then: the sweep ran here, with no broker or beat
    clock = Clock.objects.get(incident=incident, kind=ClockKind.SECURITY_ENGAGEMENT)
    assert clock.breached_at is not None
    ran = {record.args[0] for record in caplog.records if "Scheduled task" in record.msg}
    assert ran == {
        "incidents.tasks.sweep_clocks_task",
        "incidents.tasks.check_drill_due_task",
        "integrations.tasks.outbox_sweep_task",
    }


def test_crontab_schedule_is_rejected(settings):
    settings.CELERY_BEAT_SCHEDULE = {
        "nightly": {"task": "incidents.tasks.sweep_clocks_task", "schedule": object()}
    }

    with pytest.raises(CommandError, match="not an interval"):
        call_command("run_schedule", "--once")


def test_unknown_task_is_rejected(settings):
    settings.CELERY_BEAT_SCHEDULE = {"typo": {"task": "incidents.tasks.nope", "schedule": 60.0}}

    with pytest.raises(CommandError, match=r"unknown task 'incidents\.tasks\.nope'"):
        call_command("run_schedule", "--once")
