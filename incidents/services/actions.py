from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from incidents.actors import Actor
from incidents.audit import acting_as
from incidents.choices import ActionKind, ActionStatus, TimelineKind
from incidents.models import Action, Incident, RunbookStep
from incidents.services.fields import reject_unknown_fields
from incidents.services.timeline import timeline_record

EDITABLE_FIELDS = {"title", "description", "kind", "owner", "status", "due_at"}
FINISHED_STATUSES = (ActionStatus.DONE, ActionStatus.CANCELLED)


def action_create(
    *,
    incident: Incident,
    actor: Actor,
    title: str,
    kind: str = ActionKind.CONTAINMENT,
    description: str = "",
    owner: AbstractBaseUser | None = None,
    due_at: datetime | None = None,
    runbook_step: RunbookStep | None = None,
) -> Action:
    action = Action(
        incident=incident,
        title=title,
        kind=kind,
        description=description,
        owner=owner,
        due_at=due_at,
        runbook_step=runbook_step,
    )
    action.full_clean()
    with transaction.atomic(), acting_as(actor):
        action.save()
        owner_text = f", owner {owner.get_username()}" if owner else ", no owner yet"
        timeline_record(
            incident=incident,
            actor=actor,
            kind=TimelineKind.ACTION,
            text=f"Action added ({action.get_kind_display().lower()}{owner_text}): {title}",
            data={"action_id": action.pk, "status": action.status},
        )
    return action


def action_update(*, action: Action, actor: Actor, **fields) -> Action:
    """Edit an action; finishing it stamps its done time."""
    reject_unknown_fields(fields, EDITABLE_FIELDS, on="an action")

    with transaction.atomic(), acting_as(actor):
        action = Action.objects.select_for_update().get(pk=action.pk)
        previous_status = action.status
        changed = [name for name, value in fields.items() if getattr(action, name) != value]
        if not changed:
            return action
        for name in changed:
            setattr(action, name, fields[name])

        if action.status in FINISHED_STATUSES and previous_status not in FINISHED_STATUSES:
            action.done_at = timezone.now()
        elif action.status not in FINISHED_STATUSES:
            action.done_at = None
        action.full_clean()
        action.save()

        if "status" in changed:
            text = f"Action {action.title!r} moved from {previous_status} to {action.status}"
        else:
            text = f"Action {action.title!r} edited: " + ", ".join(changed)
        timeline_record(
            incident=action.incident,
            actor=actor,
            kind=TimelineKind.ACTION,
            text=text,
            data={"action_id": action.pk, "fields": changed, "status": action.status},
        )
    return action
