"""Reads of incidents. Every read goes through `incidents_visible_to`.

The admin, the API and the report exports all start from this selector, so an access
rule added here applies to each of them.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from incidents.choices import ActionStatus, ClockKind, ClockState, Status
from incidents.lifecycle import closure_problems
from incidents.models import Alert, CommunicationStatus, Incident

FINISHED_ACTIONS = (ActionStatus.DONE, ActionStatus.CANCELLED)


def incidents_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Incident]:
    """Return the incidents this user may see: today, staff see all and others none."""
    if user.is_active and user.is_staff:
        return Incident.objects.all()
    return Incident.objects.none()


def alerts_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Alert]:
    """Return alerts of visible incidents, and unattached alerts for staff."""
    if user.is_active and user.is_staff:
        return Alert.objects.all()
    return Alert.objects.filter(incident__in=incidents_visible_to(user))


def incident_document(incident: Incident) -> dict:
    """Build the incident's living record: summary, status, next update, roles, actions, clocks.

    The admin shows it on one page and the API returns it as one object.
    """
    from incidents.models import Clock
    from incidents.services.runbooks import ROLE_HOLDER_FIELDS

    clocks = list(Clock.objects.filter(incident=incident).order_by("kind"))
    update_clock = next(
        (clock for clock in clocks if clock.kind == ClockKind.UPDATE and clock.state == "running"),
        None,
    )
    if update_clock is None:
        update_clock = next(
            (
                clock
                for clock in clocks
                if clock.kind == ClockKind.UPDATE and clock.state == "breached"
            ),
            None,
        )
    actions = list(incident.actions.select_related("owner", "runbook_step"))
    open_actions = [action for action in actions if action.status not in FINISHED_ACTIONS]
    latest_update = (
        incident.communications.filter(status=CommunicationStatus.SENT).order_by("-sent_at").first()
    )
    retrospective = getattr(incident, "retrospective", None)
    return {
        "key": incident.key,
        "title": incident.title,
        "summary": incident.summary,
        "severity": incident.severity,
        "category": incident.category,
        "status": incident.status,
        "is_drill": incident.is_drill,
        "detected_at": incident.detected_at,
        "roles": {name: _username(getattr(incident, name)) for name in ROLE_HOLDER_FIELDS},
        "next_update_due_at": update_clock.due_at if update_clock else None,
        "last_update": (
            {
                "audience": latest_update.audience,
                "subject": latest_update.subject,
                "sent_at": latest_update.sent_at,
            }
            if latest_update
            else None
        ),
        "clocks": [
            {
                "kind": clock.kind,
                "label": clock.get_kind_display(),
                "state": clock.state,
                "state_label": ClockState(clock.state).label,
                "due_at": clock.due_at,
                "met_at": clock.met_at,
                "breached_at": clock.breached_at,
                "breach_count": clock.breach_count,
            }
            for clock in clocks
        ],
        "open_actions": [
            {
                "id": action.pk,
                "title": action.title,
                "kind": action.kind,
                "status": action.status,
                "owner": _username(action.owner),
                "due_at": action.due_at,
            }
            for action in open_actions
        ],
        "runbooks": [
            runbook_progress(use, actions)
            for use in incident.runbooks.select_related("version__runbook")
        ],
        "retrospective": (
            {"status": retrospective.status, "due_date": retrospective.due_date}
            if retrospective
            else None
        ),
        "closure_problems": closure_problems(incident)
        if incident.status == Status.RESOLVED
        else [],
    }


def runbook_progress(use, actions=None) -> dict:
    """Done and total steps of one runbook started on an incident."""
    if actions is None:
        actions = list(use.incident.actions.select_related("runbook_step"))
    steps = [action for action in actions if action.runbook_step_id is not None]
    own = [action for action in steps if action.runbook_step.version_id == use.version_id]
    done = sum(1 for action in own if action.status in FINISHED_ACTIONS)
    return {
        "runbook": use.version.runbook.slug,
        "title": use.version.runbook.title,
        "version": use.version.number,
        "done": done,
        "total": len(own),
    }


def _username(user) -> str:
    return user.get_username() if user is not None else ""
