import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from incidents.actors import Actor
from incidents.choices import ClockKind, ClockState, Severity, TimelineKind
from incidents.models import Clock
from incidents.services import incident_change_severity
from incidents.services.clocks import clock_sweep
from incidents.services.triage import incident_engage_security_lead
from integrations.models import OutboxMessage
from tests.factories import make_incident
from tests.response.conftest import START, minutes

pytestmark = pytest.mark.django_db


def engagement_clock(incident) -> Clock:
    return Clock.objects.get(incident=incident, kind=ClockKind.SECURITY_ENGAGEMENT)


def pages(incident):
    return incident.timeline.filter(kind=TimelineKind.PAGE)


def reminders(incident):
    return incident.timeline.filter(kind=TimelineKind.NOTIFICATION, text__startswith="Reminder")


def test_sev1_starts_clock_due_in_15_minutes(sev1):
    clock = engagement_clock(sev1)

    assert clock.due_at == START + minutes(15)
    assert clock.remind_at == START + minutes(10)
    assert clock.state == ClockState.RUNNING


def test_sev2_has_no_engagement_clock(clock, commander_actor):
    incident = make_incident(actor=commander_actor, severity=Severity.SEV2)

    assert not Clock.objects.filter(incident=incident).exists()


def test_no_reminder_before_10_minutes(sev1, clock):
    clock.move_to(START + minutes(10) - minutes(1 / 60))

    clock_sweep()

    assert not reminders(sev1).exists()
    assert mail.outbox == []


def test_commander_reminded_at_10_minutes_once(sev1, clock):
    clock.move_to(START + minutes(10))

    clock_sweep()
    clock_sweep()

    assert reminders(sev1).count() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["commander@example.org"]
    state = engagement_clock(sev1)
    assert state.reminder_count == 1
    assert state.remind_at is None
    assert not pages(sev1).exists()


def test_no_page_one_second_before_15_minutes(sev1, clock):
    clock.move_to(START + minutes(15) - minutes(1 / 60))

    clock_sweep()

    assert not pages(sev1).exists()
    assert engagement_clock(sev1).breached_at is None


def test_page_and_breach_at_15_minutes_once(sev1, clock):
    clock.move_to(START + minutes(10))
    clock_sweep()
    clock.move_to(START + minutes(15))

    clock_sweep()
    clock_sweep()

    state = engagement_clock(sev1)
    assert state.state == ClockState.BREACHED
    assert state.breached_at == START + minutes(15)
    assert state.breach_count == 1
    assert pages(sev1).count() == 1
    page = pages(sev1).get()
    assert page.text.startswith("Page to the security on-call queued for PagerDuty")
    outbox_row = OutboxMessage.objects.get(pk=page.data["outbox_message_id"])
    assert outbox_row.operation == "page_security_lead"
    breach = sev1.timeline.filter(kind=TimelineKind.CLOCK, data__breached=True)
    assert breach.count() == 1


def test_late_sweep_pages_without_stale_reminder(sev1, clock):
    clock.move_to(START + minutes(40))

    clock_sweep()

    assert not reminders(sev1).exists()
    assert pages(sev1).count() == 1


def test_engagement_before_deadline_meets_clock(sev1, clock, security_lead):
    clock.move_to(START + minutes(7))

    incident_engage_security_lead(incident=sev1, actor=Actor.for_user(security_lead))
    clock.move_to(START + minutes(20))
    clock_sweep()

    state = engagement_clock(sev1)
    assert state.state == ClockState.MET
    assert state.met_at == START + minutes(7)
    assert not pages(sev1).exists()
    sev1.refresh_from_db()
    assert sev1.security_lead == security_lead
    assert sev1.timeline.filter(kind=TimelineKind.ROLE, data__role="security_lead").exists()


def test_engagement_after_breach_is_met_late(sev1, clock, security_lead):
    clock.move_to(START + minutes(16))
    clock_sweep()

    incident_engage_security_lead(incident=sev1, actor=Actor.for_user(security_lead))

    assert engagement_clock(sev1).state == ClockState.MET_LATE


def test_engagement_twice_records_once(sev1, clock, security_lead):
    actor = Actor.for_user(security_lead)

    incident_engage_security_lead(incident=sev1, actor=actor)
    incident_engage_security_lead(incident=sev1, actor=actor)

    engaged = sev1.timeline.filter(kind=TimelineKind.CLOCK, text__contains="engaged")
    assert engaged.count() == 1


def test_engagement_by_other_user_rejected(clock, commander_actor, security_lead):
    incident = make_incident(
        actor=commander_actor, severity=Severity.SEV1, security_lead=security_lead
    )

    with pytest.raises(ValidationError) as error:
        incident_engage_security_lead(incident=incident, actor=commander_actor)

    assert "security-lead is the security lead" in error.value.message_dict["security_lead"][0]
    assert engagement_clock(incident).met_at is None


def test_raise_to_sev1_starts_clock_from_raise(clock, commander_actor):
    incident = make_incident(actor=commander_actor, severity=Severity.SEV3)
    clock.move_to(START + minutes(30))

    incident_change_severity(
        incident=incident, actor=commander_actor, severity=Severity.SEV1, reason="Data exposed"
    )

    assert engagement_clock(incident).due_at == START + minutes(45)


def test_lowering_to_sev2_stops_clock(sev1, clock, commander_actor):
    clock.move_to(START + minutes(5))

    incident_change_severity(
        incident=sev1, actor=commander_actor, severity=Severity.SEV2, reason="No data exposed"
    )
    clock.move_to(START + minutes(20))
    clock_sweep()

    state = engagement_clock(sev1)
    assert state.state == ClockState.STOPPED
    assert state.stop_reason == "severity lowered to SEV2"
    assert not pages(sev1).exists()


def test_beat_task_run_twice_pages_once(sev1, clock):
    from incidents.tasks import sweep_clocks_task

    clock.move_to(START + minutes(15))

    first = sweep_clocks_task.delay().get()
    second = sweep_clocks_task.delay().get()

    assert first == 1
    assert second == 0
    assert pages(sev1).count() == 1
