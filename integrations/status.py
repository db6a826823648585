"""Each integration's mode and the outcome of its latest deliveries, for the admin and CLI."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from integrations import registry
from integrations.models import OutboxMessage, OutboxStatus, Target


@dataclass(frozen=True)
class IntegrationStatus:
    target: str
    label: str
    mode: str
    missing_settings: tuple[str, ...]
    last_success_at: datetime | None
    last_recorded_at: datetime | None
    last_failure_at: datetime | None
    last_error: str
    pending: int
    failed: int


LIVE = "live"
DRY_RUN = "dry run"


def integration_statuses() -> list[IntegrationStatus]:
    """Return one status per integration: live or dry run, and its latest outcomes."""
    statuses = []
    for integration in registry.integrations():
        target = integration.target
        rows = OutboxMessage.objects.filter(target=target)
        success = _latest_finished(rows, OutboxStatus.DELIVERED)
        # Requests recorded in dry-run mode were never sent, so they are no success.
        recorded = _latest_finished(rows, OutboxStatus.DRY_RUN)
        failure = (
            rows.exclude(last_error="")
            .exclude(last_attempt_at=None)
            .order_by("-last_attempt_at")
            .values("last_attempt_at", "last_error")
            .first()
        )
        missing = tuple(name for name in integration.settings_needed if not getattr(settings, name))
        statuses.append(
            IntegrationStatus(
                target=target,
                label=Target(target).label,
                mode=LIVE if integration.is_configured() else DRY_RUN,
                missing_settings=missing,
                last_success_at=success,
                last_recorded_at=recorded,
                last_failure_at=failure["last_attempt_at"] if failure else None,
                last_error=failure["last_error"] if failure else "",
                pending=rows.filter(
                    status__in=(OutboxStatus.PENDING, OutboxStatus.SENDING)
                ).count(),
                failed=rows.filter(status=OutboxStatus.FAILED).count(),
            )
        )
    return statuses


def _latest_finished(rows, status: str) -> datetime | None:
    rows = rows.filter(status=status).order_by("-delivered_at")
    return rows.values_list("delivered_at", flat=True).first()
