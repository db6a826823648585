"""The transactional outbox: writing rows, claiming them, delivering them, sweeping them.

A row is written in the transaction of the change that causes it, so a rolled-back
change sends nothing and a committed one is never forgotten. Delivery is at least once:
a row can be claimed again after its worker died. Each operation makes its effect
idempotent (a PagerDuty dedup_key, a Jira lookup by label, a stored Slack ts), so the
effect happens once.
"""

import logging
import time
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from incidents.actors import Actor
from incidents.audit import acting_as
from incidents.models import Incident
from integrations import registry
from integrations.backoff import retry_delay
from integrations.errors import DeliveryError, NotReadyError, TransientDeliveryError
from integrations.models import OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

ACTIVE_STATUSES = (OutboxStatus.PENDING, OutboxStatus.SENDING)
# A row waiting on its predecessor in the same ordering key is checked again this soon.
NOT_READY_DELAY_SECONDS = 5


def outbox_write(
    *,
    target: str,
    operation: str,
    payload: dict[str, Any],
    idempotency_key: str,
    incident: Incident | None = None,
    ordering_key: str = "",
) -> OutboxMessage:
    """Write a row in the caller's transaction and queue its delivery once that commits.

    A second write with the same idempotency key returns the stored row unchanged.
    """
    registry.get_operation(target, operation)
    with transaction.atomic():
        existing = OutboxMessage.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
        now = timezone.now()
        message = OutboxMessage(
            target=target,
            operation=operation,
            payload=payload,
            idempotency_key=idempotency_key,
            ordering_key=ordering_key,
            incident=incident,
            next_attempt_at=now,
            enqueued_at=now,
        )
        message.full_clean()
        message.save()
        transaction.on_commit(lambda: publish(message.pk))
    return message


def publish(message_id: int) -> None:
    """Queue the delivery task; a broker that is down only delays the row until a sweep."""
    from integrations.tasks import outbox_deliver_task

    try:
        outbox_deliver_task.delay(message_id)
    except Exception:
        # The row is committed with its enqueued_at, so the sweeper queues it again.
        logger.exception("Could not queue outbox message %s; the sweeper will retry", message_id)


def _claim(message_id: int) -> str | None:
    """Take the row for one attempt, or return None if it is not due or another worker has it.

    One conditional UPDATE claims it, which is atomic on PostgreSQL and SQLite alike, so
    two workers never send the same row at once. An expired claim can be taken over.
    NOTE: QuerySet.update() writes no history row; the outcome saved after the attempt does.
    """
    if _waits_for_predecessor(message_id):
        # The predecessor queues this row when it finishes.
        return None
    now = timezone.now()
    token = uuid.uuid4().hex
    claimable = Q(status=OutboxStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=OutboxStatus.SENDING,
        claimed_until__lt=now,
        attempts__lt=settings.OUTBOX_MAX_ATTEMPTS,
    )
    claimed = OutboxMessage.objects.filter(claimable, pk=message_id).update(
        status=OutboxStatus.SENDING,
        claim_token=token,
        claimed_until=now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS),
        attempts=F("attempts") + 1,
    )
    return token if claimed else None


def _waits_for_predecessor(message_id: int) -> bool:
    ordering_key = (
        OutboxMessage.objects.filter(pk=message_id).values_list("ordering_key", flat=True).first()
    )
    if not ordering_key:
        return False
    return OutboxMessage.objects.filter(
        ordering_key=ordering_key, pk__lt=message_id, status__in=ACTIVE_STATUSES
    ).exists()


def outbox_deliver(*, message_id: int) -> OutboxMessage | None:
    """Make one attempt at a row if it is due; return the row, or None if it was not claimed."""
    token = _claim(message_id)
    if token is None:
        return None
    message = OutboxMessage.objects.select_related("incident").get(pk=message_id)
    operation = registry.get_operation(message.target, message.operation)
    dry_run = not operation.is_configured()
    started = time.monotonic()
    actor = Actor.for_integration(message.target)

    try:
        with acting_as(actor):
            delivery = operation.send(message, dry_run)
    except DeliveryError as error:
        return _record_failure(message, token, error, _request_of(operation, message))
    except Exception as error:
        # A bug or an unreadable setting rather than a vendor error. It is retried up to
        # the limit, so the row shows the error in the admin instead of staying "sending".
        logger.exception("Outbox message %s raised an unexpected error", message.pk)
        unexpected = TransientDeliveryError(f"Unexpected {type(error).__name__}: {error}")
        return _record_failure(message, token, unexpected, _request_of(operation, message))

    status = OutboxStatus.DRY_RUN if dry_run else OutboxStatus.DELIVERED
    finished = _finish(
        message,
        token,
        status=status,
        request=delivery.request,
        response=delivery.response,
        external_id=delivery.external_id,
        last_error="",
    )
    logger.info(
        "Outbox message %s (%s %s) %s after %d attempt(s) in %.0f ms",
        message.pk,
        message.target,
        message.operation,
        status,
        message.attempts,
        (time.monotonic() - started) * 1000,
    )
    return finished


def _request_of(operation: registry.Operation, message: OutboxMessage) -> dict:
    """Return the request a failed attempt sent, as its dry run describes it, for the admin."""
    try:
        with acting_as(Actor.for_integration(message.target)):
            return operation.send(message, True).request
    except Exception:
        logger.exception("Could not describe the request of outbox message %s", message.pk)
        return message.request


def _record_failure(
    message: OutboxMessage, token: str, error: DeliveryError, request: dict
) -> OutboxMessage:
    text = str(error)
    if isinstance(error, NotReadyError):
        # Waiting on another row is not the call failing: the attempt is given back.
        return _finish(
            message,
            token,
            status=OutboxStatus.PENDING,
            attempts=message.attempts - 1,
            next_attempt_at=timezone.now() + timedelta(seconds=NOT_READY_DELAY_SECONDS),
            last_error=text,
            request=request,
        )
    if error.retryable and message.attempts < settings.OUTBOX_MAX_ATTEMPTS:
        delay = retry_delay(attempt=message.attempts, retry_after=error.retry_after)
        logger.warning(
            "Outbox message %s (%s %s) attempt %d failed, retrying in %.1f s: %s",
            message.pk,
            message.target,
            message.operation,
            message.attempts,
            delay,
            text,
        )
        return _finish(
            message,
            token,
            status=OutboxStatus.PENDING,
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
            last_error=text,
            request=request,
        )
    if error.retryable:
        text = f"Gave up after {message.attempts} attempts: {text}"
    logger.error(
        "Outbox message %s (%s %s) failed: %s", message.pk, message.target, message.operation, text
    )
    return _finish(message, token, status=OutboxStatus.FAILED, last_error=text, request=request)


def _finish(message: OutboxMessage, token: str, *, status: str, **fields) -> OutboxMessage:
    """Store an attempt's outcome, unless the claim expired and another worker took the row."""
    with transaction.atomic(), acting_as(Actor.for_integration(message.target)):
        current = OutboxMessage.objects.select_for_update().filter(pk=message.pk).first()
        if current is None or current.claim_token != token:
            logger.warning("Outbox message %s was claimed again while it was sent", message.pk)
            return current
        current.status = status
        current.last_attempt_at = timezone.now()
        current.claim_token = ""
        current.claimed_until = None
        for name, value in fields.items():
            setattr(current, name, value)
        if status == OutboxStatus.PENDING:
            # The sweeper queues it when it is due: delays live here, not in the broker.
            current.enqueued_at = None
        else:
            current.delivered_at = timezone.now() if status != OutboxStatus.FAILED else None
        current.save()
        if current.is_finished and current.ordering_key:
            _queue_successor(current)
    return current


def _queue_successor(message: OutboxMessage) -> None:
    successor = (
        OutboxMessage.objects.filter(
            ordering_key=message.ordering_key, pk__gt=message.pk, status=OutboxStatus.PENDING
        )
        .order_by("pk")
        .first()
    )
    if successor is not None and successor.next_attempt_at <= timezone.now():
        OutboxMessage.objects.filter(pk=successor.pk).update(enqueued_at=timezone.now())
        transaction.on_commit(lambda: publish(successor.pk))


def due_messages(*, include_queued: bool = False, limit: int | None = None) -> list[int]:
    """Return ids of due rows and of rows whose claim expired, the earliest first.

    Unless include_queued is set, a due row whose task was queued within the last
    OUTBOX_REQUEUE_AFTER_SECONDS is left out: its task is most likely still on its way.
    """
    now = timezone.now()
    due = Q(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
    if not include_queued:
        requeue_before = now - timedelta(seconds=settings.OUTBOX_REQUEUE_AFTER_SECONDS)
        due &= Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=requeue_before)
    abandoned = Q(
        status=OutboxStatus.SENDING,
        claimed_until__lt=now,
        attempts__lt=settings.OUTBOX_MAX_ATTEMPTS,
    )
    ids = OutboxMessage.objects.filter(due | abandoned).order_by("next_attempt_at", "pk")
    return list(ids.values_list("pk", flat=True)[: limit or settings.OUTBOX_SWEEP_BATCH_SIZE])


def _fail_exhausted_claims() -> None:
    """Fail rows whose worker stopped during every allowed attempt, such as a crash each time."""
    exhausted = OutboxMessage.objects.filter(
        status=OutboxStatus.SENDING,
        claimed_until__lt=timezone.now(),
        attempts__gte=settings.OUTBOX_MAX_ATTEMPTS,
    )
    for message in exhausted:
        with transaction.atomic(), acting_as(Actor.for_integration(message.target)):
            message.status = OutboxStatus.FAILED
            message.claim_token = ""
            message.claimed_until = None
            message.last_attempt_at = timezone.now()
            message.last_error = (
                f"Gave up after {message.attempts} attempts: the worker stopped during each."
            )
            message.save()
        logger.error("Outbox message %s failed: %s", message.pk, message.last_error)


def outbox_sweep() -> int:
    """Queue every row whose task is due or was lost; return how many were queued."""
    _fail_exhausted_claims()
    ids = due_messages()
    if not ids:
        return 0
    OutboxMessage.objects.filter(pk__in=ids).update(enqueued_at=timezone.now())
    for message_id in ids:
        publish(message_id)
    logger.info("Outbox sweep queued %d message(s)", len(ids))
    return len(ids)


def outbox_deliver_due(*, limit: int | None = None) -> int:
    """Deliver due rows in this process, without a broker; return how many were attempted.

    Used by management commands and by tests that run the delivery loop in-process.
    """
    attempted = 0
    for message_id in due_messages(include_queued=True, limit=limit):
        if outbox_deliver(message_id=message_id) is not None:
            attempted += 1
    return attempted


def outbox_retry(*, message: OutboxMessage, actor: Actor) -> OutboxMessage:
    """Send a failed row again from a fresh attempt count, as the admin action does."""
    with transaction.atomic(), acting_as(actor):
        message = OutboxMessage.objects.select_for_update().get(pk=message.pk)
        if message.status != OutboxStatus.FAILED:
            raise ValidationError(
                {
                    "status": f"Outbox message {message.pk} is {message.status}: "
                    "only failed rows can be retried."
                }
            )
        now = timezone.now()
        message.status = OutboxStatus.PENDING
        message.attempts = 0
        message.next_attempt_at = now
        message.enqueued_at = now
        message.full_clean()
        message.save()
        transaction.on_commit(lambda: publish(message.pk))
    logger.info("Outbox message %s queued again by %s", message.pk, actor.label)
    return message
