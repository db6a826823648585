import datetime as dt

import pytest
from django.core import mail

from incidents.actors import Actor
from incidents.choices import Severity, Status
from incidents.metrics import response_metrics
from incidents.models import DrillReminder, Incident
from incidents.services import incident_transition
from incidents.services.drills import drill_record, drill_reminder_check
from incidents.tasks import check_drill_due_task
from tests.factories import make_incident

pytestmark = pytest.mark.django_db

ACTOR = Actor.for_integration("test")


def resolved_after(time_machine, severity, minutes_to_resolve, detected, **fields):
    time_machine.move_to(detected, tick=False)
    incident = make_incident(actor=ACTOR, severity=severity, **fields)
    time_machine.move_to(detected + dt.timedelta(minutes=5), tick=False)
    incident_transition(incident=incident, actor=ACTOR, to_status=Status.TRIAGED)
    time_machine.move_to(detected + dt.timedelta(minutes=minutes_to_resolve), tick=False)
    return incident_transition(
        incident=incident, actor=ACTOR, to_status=Status.RESOLVED, override_reason="Test"
    )


def test_mttr_over_an_hour_flagged_for_sev2_only(time_machine):
    march = dt.datetime(2026, 3, 3, 10, 0, tzinfo=dt.UTC)
    slow_sev2 = resolved_after(time_machine, Severity.SEV2, 61, march)
    resolved_after(time_machine, Severity.SEV2, 60, march)
    resolved_after(time_machine, Severity.SEV3, 300, march)

    report = response_metrics(Incident.objects.all())

    assert [figures.key for figures in report.flagged] == [slow_sev2.key]


def test_groups_by_month_and_severity(time_machine):
    march = dt.datetime(2026, 3, 3, 10, 0, tzinfo=dt.UTC)
    april = dt.datetime(2026, 4, 7, 10, 0, tzinfo=dt.UTC)
    resolved_after(time_machine, Severity.SEV1, 40, march)
    resolved_after(time_machine, Severity.SEV1, 80, march)
    resolved_after(time_machine, Severity.SEV1, 30, april)

    report = response_metrics(Incident.objects.all())

    first = report.groups[0]
    assert (first.month, first.severity, first.incidents) == (dt.date(2026, 3, 1), "SEV1", 2)
    assert first.mean_time_to_acknowledge == dt.timedelta(minutes=5)
    assert first.mean_time_to_resolve == dt.timedelta(minutes=60)
    assert first.mttr_exceeded == 1
    assert report.groups[1].month == dt.date(2026, 4, 1)


def test_drill_incidents_left_out(time_machine):
    march = dt.datetime(2026, 3, 3, 10, 0, tzinfo=dt.UTC)
    drill_incident = resolved_after(time_machine, Severity.SEV1, 90, march)
    drill_record(
        actor=ACTOR, scenario="Leaked token", held_on=march.date(), incident=drill_incident
    )
    resolved_after(time_machine, Severity.SEV1, 90, march, is_drill=True)

    report = response_metrics(Incident.objects.all())

    drill_incident.refresh_from_db()
    assert drill_incident.is_drill
    assert report.incidents == []
    assert report.groups == []


def test_drill_reminder_after_a_month_once(time_machine):
    drill_record(actor=ACTOR, scenario="WAF flood", held_on=dt.date(2026, 1, 31))

    assert drill_reminder_check(today=dt.date(2026, 2, 27)) is None
    reminder = drill_reminder_check(today=dt.date(2026, 2, 28))
    again = drill_reminder_check(today=dt.date(2026, 2, 28))

    assert reminder is not None
    assert reminder.last_drill_on == dt.date(2026, 1, 31)
    assert again is None
    assert DrillReminder.objects.count() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["incident-managers@example.org"]


def test_drill_reminder_again_next_month(time_machine):
    drill_record(actor=ACTOR, scenario="WAF flood", held_on=dt.date(2026, 1, 10))
    drill_reminder_check(today=dt.date(2026, 2, 10))

    reminder = drill_reminder_check(today=dt.date(2026, 3, 1))

    assert reminder.month == dt.date(2026, 3, 1)


def test_new_drill_stops_reminders(time_machine):
    drill_record(actor=ACTOR, scenario="Crash spike", held_on=dt.date(2026, 2, 20))

    assert drill_reminder_check(today=dt.date(2026, 3, 19)) is None


def test_drill_task_runs_twice(time_machine):
    time_machine.move_to(dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC), tick=False)

    first = check_drill_due_task.delay().get()
    second = check_drill_due_task.delay().get()

    assert first is not None
    assert second is None
