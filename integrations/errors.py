"""Errors of outgoing calls, sorted into the ones worth another attempt and the rest.

Each vendor module turns its client library's exceptions into these, so the outbox
decides about retries in one place.
"""

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

RETRYABLE_STATUSES = frozenset({408, 425, 429})


class DeliveryError(Exception):
    """A failed call. `retryable` is true when the same call may succeed later."""

    retryable = False

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class TransientDeliveryError(DeliveryError):
    """A timeout, a connection error, a rate limit, a 5xx or a malformed response."""

    retryable = True


class PermanentDeliveryError(DeliveryError):
    """A rejected request (4xx other than a rate limit): sending it again cannot help."""


class NotReadyError(TransientDeliveryError):
    """The call depends on a result that another row has not delivered yet."""


def error_for_status(status: int, message: str, retry_after: float | None = None) -> DeliveryError:
    """Return the error for an HTTP status: transient for 408, 425, 429 and 5xx."""
    if status in RETRYABLE_STATUSES or status >= 500:
        return TransientDeliveryError(message, status=status, retry_after=retry_after)
    return PermanentDeliveryError(message, status=status)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Read a Retry-After header, in seconds or as an HTTP date; None if absent or invalid."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
