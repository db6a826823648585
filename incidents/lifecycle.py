"""The incident status lifecycle: the one table of legal transitions, and the gates.

Gates are the conditions beyond the table: resolving waits for the monitoring window,
and closing waits for the retrospective and for owned, dated remediation tasks.
"""

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from incidents.choices import RETROSPECTIVE_SEVERITIES, ClockKind, RetrospectiveStatus, Status

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


def check_resolution(incident, *, at: datetime, override_reason: str) -> None:
    """Raise unless the incident finished its monitoring window or an override is given.

    Resolving ends heightened monitoring, so it waits for the window that entering
    monitoring started. An explicit reason resolves earlier, for example a false alarm
    that never needed monitoring.
    """
    from incidents.models import Clock

    if override_reason.strip():
        return
    window = (
        Clock.objects.filter(incident=incident, kind=ClockKind.MONITORING, stopped_at__isnull=True)
        .order_by("-started_at")
        .first()
    )
    if incident.status == Status.MONITORING and window is not None:
        if window.due_at <= at:
            return
        ends = timezone.localtime(window.due_at).strftime("%Y-%m-%d %H:%M %Z")
        raise ValidationError(
            {
                "status": f"Cannot resolve {incident.key} before its monitoring window ends at "
                f"{ends}: wait until then, or give an override reason to resolve early."
            }
        )
    raise ValidationError(
        {
            "status": f"Cannot resolve {incident.key} from {incident.status}: it has not "
            f"completed {settings.MONITORING_WINDOW_HOURS} hours of monitoring. Move it to "
            "monitoring first, or give an override reason to resolve it now."
        }
    )


def closure_problems(incident) -> list[str]:
    """List every condition that keeps the incident from closing, as sentences.

    SEV0 to SEV2 need a published retrospective. Every remediation task needs an owner
    and a due date, except tasks marked "won't do".
    """
    from incidents.models import RemediationStatus, Retrospective

    problems = []
    if incident.severity in RETROSPECTIVE_SEVERITIES:
        retrospective = Retrospective.objects.filter(incident=incident).first()
        if retrospective is None:
            problems.append(f"{incident.severity} needs a published retrospective, and none exists")
        elif retrospective.status != RetrospectiveStatus.PUBLISHED:
            problems.append(
                f"{incident.severity} needs a published retrospective, and it is "
                f"{retrospective.status}"
            )
    tasks = incident.remediation_tasks.exclude(status=RemediationStatus.WONT_DO)
    for task in tasks.order_by("id"):
        if task.owner_id is None:
            problems.append(f"remediation task {task.title!r} has no owner")
        if task.due_date is None:
            problems.append(f"remediation task {task.title!r} has no due date")
    return problems


def check_closure(incident) -> None:
    problems = closure_problems(incident)
    if problems:
        raise ValidationError(
            {"status": [f"Cannot close {incident.key}: {problem}." for problem in problems]}
        )


def check_gates(incident, *, target: str, at: datetime, override_reason: str = "") -> None:
    """Raise ValidationError on the status field unless the incident may enter `target`."""
    check_transition(incident.status, target)
    if target == Status.RESOLVED:
        check_resolution(incident, at=at, override_reason=override_reason)
    elif target == Status.CLOSED:
        check_closure(incident)
