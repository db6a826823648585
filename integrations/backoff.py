"""The retry schedule of outbox rows, computed here and stored on the row.

Celery's own retry options are not used: the delay is written to `next_attempt_at`, so
it survives a restart of the broker or the worker and can be tested on its own.
"""

import random

from django.conf import settings


def retry_delay(
    *, attempt: int, retry_after: float | None = None, rng: random.Random | None = None
) -> float:
    """Return the seconds to wait after failed attempt number `attempt` (1 for the first).

    The ceiling doubles with each attempt from OUTBOX_BACKOFF_BASE_SECONDS up to
    OUTBOX_BACKOFF_MAX_SECONDS, and the delay is drawn between half the ceiling and the
    ceiling, so rows that failed together spread out. A Retry-After from the server is
    a lower bound.
    """
    rng = rng or random
    base = settings.OUTBOX_BACKOFF_BASE_SECONDS
    ceiling = min(settings.OUTBOX_BACKOFF_MAX_SECONDS, base * 2 ** max(attempt - 1, 0))
    delay = ceiling / 2 + rng.uniform(0, ceiling / 2)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay
