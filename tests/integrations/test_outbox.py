import random
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents.choices import Severity
from integrations import outbox
from integrations.backoff import retry_delay
from integrations.fakes import Fault
from integrations.models import OutboxMessage, OutboxStatus, Target
from integrations.outbox import (
    due_messages,
    outbox_deliver,
    outbox_retry,
    outbox_sweep,
    outbox_write,
)
from tests.factories import make_incident
from tests.integrations.conftest import drain

pytestmark = pytest.mark.django_db


def write_trigger(incident, key="test:trigger"):
    return outbox_write(
        target=Target.PAGERDUTY,
        operation="trigger",
        payload={"event_action": "trigger", "dedup_key": incident.key, "payload": {}},
        idempotency_key=key,
        incident=incident,
    )


def test_backoff_doubles_within_jitter(settings):
    settings.OUTBOX_BACKOFF_BASE_SECONDS = 10
    settings.OUTBOX_BACKOFF_MAX_SECONDS = 3600
    rng = random.Random(7)

    for attempt, ceiling in [(1, 10), (2, 20), (3, 40), (4, 80), (8, 1280), (9, 2560)]:
        delays = [retry_delay(attempt=attempt, rng=rng) for _ in range(50)]
        assert min(delays) >= ceiling / 2
        assert max(delays) <= ceiling
        assert len(set(delays)) > 1


def test_backoff_is_capped(settings):
    settings.OUTBOX_BACKOFF_BASE_SECONDS = 10
    settings.OUTBOX_BACKOFF_MAX_SECONDS = 600

    delay = retry_delay(attempt=30, rng=random.Random(1))

    assert 300 <= delay <= 600


def test_backoff_honours_retry_after(settings):
    settings.OUTBOX_BACKOFF_BASE_SECONDS = 10

    assert retry_delay(attempt=1, retry_after=120, rng=random.Random(1)) == 120
    assert retry_delay(attempt=1, retry_after=0, rng=random.Random(1)) >= 5


def test_stored_schedule_follows_backoff(live, settings, staff_actor, time_machine):
    # given: every attempt fails with a 500
    settings.OUTBOX_MAX_ATTEMPTS = 4
    settings.OUTBOX_BACKOFF_BASE_SECONDS = 10
    live.fail_next("pagerduty-events", *[Fault("500")] * 4)
    incident = make_incident(actor=staff_actor, severity=Severity.SEV1)
    row = OutboxMessage.objects.get(target=Target.PAGERDUTY, incident=incident)

    # when: each attempt is made when due
    gaps = []
    for attempt in range(1, 5):
        started = timezone.now()
        outbox_deliver(message_id=row.pk)
        row.refresh_from_db()
        assert row.attempts == attempt
        if row.status == OutboxStatus.PENDING:
            gaps.append((row.next_attempt_at - started).total_seconds())
            time_machine.move_to(row.next_attempt_at, tick=False)

    # then: the waits grow as configured, and the fourth failure gives up
    assert len(gaps) == 3
    for attempt, gap in enumerate(gaps, start=1):
        ceiling = 10 * 2 ** (attempt - 1)
        assert ceiling / 2 <= gap <= ceiling
    assert row.status == OutboxStatus.FAILED
    assert row.last_error.startswith("Gave up after 4 attempts")


def test_write_is_idempotent(staff_actor):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV4)

    first = write_trigger(incident)
    second = write_trigger(incident)

    assert first.pk == second.pk
    assert OutboxMessage.objects.filter(idempotency_key="test:trigger").count() == 1


def test_rolled_back_change_writes_no_row(staff_actor):
    with pytest.raises(RuntimeError), transaction.atomic():
        make_incident(actor=staff_actor, severity=Severity.SEV1)
        raise RuntimeError("abort the change")

    assert not OutboxMessage.objects.exists()


def test_row_is_published_after_commit(
    staff_actor, monkeypatch, django_capture_on_commit_callbacks
):
    published = []
    monkeypatch.setattr(outbox, "publish", published.append)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        incident = make_incident(actor=staff_actor, severity=Severity.SEV1)
    assert published == []

    for callback in callbacks:
        callback()
    rows = OutboxMessage.objects.filter(incident=incident).values_list("pk", flat=True)
    assert sorted(published) == sorted(rows)


def test_claimed_row_is_not_sent_again(live, staff_actor):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV1)
    row = OutboxMessage.objects.get(target=Target.PAGERDUTY, incident=incident)

    token = outbox._claim(row.pk)
    second = outbox_deliver(message_id=row.pk)

    assert token is not None
    assert second is None
    assert live.events == []


def test_expired_claim_is_taken_over(live, settings, staff_actor, time_machine):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV1)
    row = OutboxMessage.objects.get(target=Target.PAGERDUTY, incident=incident)
    outbox._claim(row.pk)

    time_machine.move_to(timezone.now() + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS + 1))
    delivered = outbox_deliver(message_id=row.pk)

    assert delivered.status == OutboxStatus.DELIVERED
    assert delivered.attempts == 2
    assert len(live.events) == 1


def test_late_finish_does_not_overwrite(live, staff_actor):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV1)
    row = OutboxMessage.objects.get(target=Target.PAGERDUTY, incident=incident)
    stale_token = outbox._claim(row.pk)
    OutboxMessage.objects.filter(pk=row.pk).update(claim_token="taken-over")

    result = outbox._finish(row, stale_token, status=OutboxStatus.FAILED, last_error="late")

    assert result.status == OutboxStatus.SENDING
    assert result.last_error == ""


def test_rows_of_one_key_go_in_order(live, staff_actor, time_machine):
    live.fail_next("slack", Fault("500"))
    incident = make_incident(actor=staff_actor, severity=Severity.SEV4)
    first, second = (
        outbox_write(
            target=Target.SLACK,
            operation="post_message",
            payload={"channel": "#academy-incident-warroom", "text": text, "thread": "reply"},
            idempotency_key=f"test:{text}",
            incident=incident,
            ordering_key="test:stream",
        )
        for text in ("first", "second")
    )
    outbox_deliver(message_id=first.pk)

    assert outbox_deliver(message_id=second.pk) is None

    drain(time_machine)
    texts = [message["text"] for message in live.messages if message["text"] in ("first", "second")]
    assert texts == ["first", "second"]


def test_sweep_requeues_lost_rows(settings, staff_actor, monkeypatch, time_machine):
    published = []
    monkeypatch.setattr(outbox, "publish", published.append)
    settings.OUTBOX_REQUEUE_AFTER_SECONDS = 120
    incident = make_incident(actor=staff_actor, severity=Severity.SEV1)
    rows = set(OutboxMessage.objects.filter(incident=incident).values_list("pk", flat=True))

    assert outbox_sweep() == 0

    time_machine.move_to(timezone.now() + timedelta(seconds=121))
    assert outbox_sweep() == len(rows)
    assert set(published) == rows
    assert outbox_sweep() == 0


def test_sweep_requeues_abandoned_claims(settings, staff_actor, time_machine):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV1)
    row = OutboxMessage.objects.get(target=Target.PAGERDUTY, incident=incident)
    outbox._claim(row.pk)

    assert row.pk not in due_messages()

    time_machine.move_to(timezone.now() + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS + 1))
    assert row.pk in due_messages()


def test_retry_moves_failed_row_back(live, staff_actor, time_machine):
    live.fail_next("pagerduty-events", Fault("400"))
    incident = make_incident(actor=staff_actor, severity=Severity.SEV1)
    drain(time_machine)
    row = OutboxMessage.objects.get(target=Target.PAGERDUTY, incident=incident)
    assert row.status == OutboxStatus.FAILED
    # The admin shows what the failed attempt sent, with the credential left out.
    assert row.request["url"] == f"{live.base_url}/pagerduty-events/v2/enqueue"
    assert row.request["json"]["routing_key"] == "[redacted]"

    outbox_retry(message=row, actor=staff_actor)
    drain(time_machine)

    row.refresh_from_db()
    assert row.status == OutboxStatus.DELIVERED
    assert row.attempts == 1
    assert row.history.filter(history_user=staff_actor.user).exists()


def test_retry_rejects_delivered_row(live, staff_actor, time_machine):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV1)
    drain(time_machine)
    row = OutboxMessage.objects.get(target=Target.PAGERDUTY, incident=incident)

    with pytest.raises(ValidationError) as error:
        outbox_retry(message=row, actor=staff_actor)

    assert "only failed rows" in error.value.message_dict["status"][0]


def test_dry_run_records_exact_request(dry_run, staff_actor, time_machine):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV1)

    drain(time_machine)

    row = OutboxMessage.objects.get(target=Target.PAGERDUTY, incident=incident)
    assert row.status == OutboxStatus.DRY_RUN
    assert row.request["method"] == "POST"
    assert row.request["url"] == "https://events.pagerduty.com/v2/enqueue"
    assert row.request["json"]["dedup_key"] == incident.key
    assert row.request["json"]["routing_key"] == "[redacted]"
    slack_rows = OutboxMessage.objects.filter(target=Target.SLACK, incident=incident)
    slack_row = slack_rows.order_by("pk").first()
    assert slack_row.status == OutboxStatus.DRY_RUN
    assert slack_row.request["url"] == "https://slack.com/api/chat.postMessage"
    assert slack_row.request["json"]["channel"] == "#academy-incident-warroom"


def test_delivery_history_names_integration(live, staff_actor, time_machine):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV1)

    drain(time_machine)

    row = OutboxMessage.objects.get(target=Target.PAGERDUTY, incident=incident)
    created, delivered = row.history.order_by("history_date")
    assert created.history_user == staff_actor.user
    assert delivered.history_integration == "pagerduty"
    assert delivered.status == OutboxStatus.DELIVERED


def test_failed_attempt_queues_no_delayed_task(live, staff_actor, monkeypatch):
    # The wait before the next attempt lives on the row: nothing goes to the broker with a
    # countdown, which Redis would deliver twice once it passed the visibility timeout.
    published = []
    monkeypatch.setattr(outbox, "publish", published.append)
    live.fail_next("pagerduty-events", Fault("500"))
    incident = make_incident(actor=staff_actor, severity=Severity.SEV1)
    row = OutboxMessage.objects.get(target=Target.PAGERDUTY, incident=incident)

    outbox_deliver(message_id=row.pk)

    row.refresh_from_db()
    assert row.status == OutboxStatus.PENDING
    assert row.enqueued_at is None
    assert row.next_attempt_at > timezone.now()
    assert published == []


def test_sweep_fails_row_whose_worker_always_dies(settings, staff_actor, time_machine):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    incident = make_incident(actor=staff_actor, severity=Severity.SEV1)
    row = OutboxMessage.objects.get(target=Target.PAGERDUTY, incident=incident)
    for _ in range(2):
        # Each claim is abandoned, as when the worker is killed during the call.
        assert outbox._claim(row.pk) is not None
        time_machine.move_to(timezone.now() + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS + 1))

    outbox_sweep()

    row.refresh_from_db()
    assert row.status == OutboxStatus.FAILED
    assert "worker stopped during each" in row.last_error
    assert outbox._claim(row.pk) is None


def test_broker_down_at_commit_keeps_row(settings, staff_actor, monkeypatch, time_machine, caplog):
    from kombu.exceptions import OperationalError

    from integrations.tasks import outbox_deliver_task

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6390. Connection refused.")

    monkeypatch.setattr(outbox_deliver_task, "delay", broker_down)
    incident = make_incident(actor=staff_actor, severity=Severity.SEV1)
    row = OutboxMessage.objects.get(target=Target.PAGERDUTY, incident=incident)

    outbox.publish(row.pk)

    assert f"Could not queue outbox message {row.pk}" in caplog.text
    time_machine.move_to(
        timezone.now() + timedelta(seconds=settings.OUTBOX_REQUEUE_AFTER_SECONDS + 1)
    )
    assert row.pk in due_messages()
