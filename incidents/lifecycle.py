"""The incident status lifecycle: the one table of legal transitions."""

from django.core.exceptions import ValidationError

from incidents.choices import Status

TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.DETECTED: (Status.TRIAGED, Status.MITIGATING, Status.RESOLVED),
    Status.TRIAGED: (Status.MITIGATING, Status.MONITORING, Status.RESOLVED),
    Status.MITIGATING: (Status.MONITORING, Status.RESOLVED),
    Status.MONITORING: (Status.MITIGATING, Status.RESOLVED),
    # A resolved incident can be reopened while it is not yet closed.
    Status.RESOLVED: (Status.CLOSED, Status.MITIGATING),
    Status.CLOSED: (),
}


def allowed_targets(current: str) -> tuple[str, ...]:
    return TRANSITIONS[current]


def check_transition(current: str, target: str) -> None:
    """Raise ValidationError on the status field unless current -> target is legal."""
    if target not in Status.values:
        raise ValidationError({"status": f"Unknown status {target!r}: use one of {Status.values}."})
    allowed = TRANSITIONS[current]
    if target in allowed:
        return
    if allowed:
        hint = "allowed next states are " + ", ".join(allowed)
    else:
        hint = f"{current} is final"
    raise ValidationError({"status": f"Cannot move from {current} to {target}: {hint}."})
