"""The operations the outbox can deliver, registered by each vendor module."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from integrations.models import OutboxMessage


@dataclass
class Delivery:
    """The outcome of one call: the request as sent, and what the other system returned."""

    request: dict[str, Any]
    response: dict[str, Any] = field(default_factory=dict)
    external_id: str = ""


Send = Callable[[OutboxMessage, bool], Delivery]


@dataclass(frozen=True)
class Operation:
    """One kind of row: the function that delivers it and the check of its credentials.

    The function takes the row and `dry_run`. In dry-run mode, chosen when the
    credentials are missing, it returns the request it would send without sending it.
    """

    target: str
    name: str
    send: Send
    is_configured: Callable[[], bool]


@dataclass(frozen=True)
class Integration:
    target: str
    is_configured: Callable[[], bool]
    settings_needed: tuple[str, ...]


_OPERATIONS: dict[tuple[str, str], Operation] = {}
_INTEGRATIONS: dict[str, Integration] = {}


def register_integration(
    target: str, is_configured: Callable[[], bool], settings_needed: tuple[str, ...]
) -> None:
    _INTEGRATIONS[target] = Integration(target, is_configured, settings_needed)


def operation(
    target: str, name: str, *, is_configured: Callable[[], bool]
) -> Callable[[Send], Send]:
    """Register the function that delivers rows of this target and operation."""

    def register(function: Send) -> Send:
        _OPERATIONS[(target, name)] = Operation(target, name, function, is_configured)
        return function

    return register


def get_operation(target: str, name: str) -> Operation:
    _load_vendor_modules()
    try:
        return _OPERATIONS[(target, name)]
    except KeyError:
        raise LookupError(f"No outbox operation {name!r} is registered for {target!r}.") from None


def get_integration(target: str) -> Integration:
    _load_vendor_modules()
    return _INTEGRATIONS[target]


def integrations() -> list[Integration]:
    _load_vendor_modules()
    return list(_INTEGRATIONS.values())


def _load_vendor_modules() -> None:
    # The vendor modules register themselves on import.
    from integrations import drive, jira, pagerduty, slack  # noqa: F401
