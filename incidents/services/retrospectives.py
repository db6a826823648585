from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents.actors import Actor
from incidents.audit import acting_as
from incidents.business_days import add_business_days, start_of_day
from incidents.choices import ClockKind, RetrospectiveStatus, TimelineKind
from incidents.models import Incident, RemediationStatus, RemediationTask, Retrospective
from incidents.services.clocks import clock_meet, clock_start
from incidents.services.fields import reject_unknown_fields
from incidents.services.timeline import timeline_record

RETROSPECTIVE_FIELDS = {
    "meeting_at",
    "facilitator",
    "summary",
    "impact",
    "contributing_factors",
    "went_well",
    "went_poorly",
    "lessons",
}
# Sections a published retrospective cannot leave empty.
PUBLISH_REQUIRED = (
    "summary",
    "impact",
    "contributing_factors",
    "went_well",
    "went_poorly",
    "lessons",
)


def retrospective_due_date(resolved_at: datetime) -> date:
    """Return the last day for the retrospective: N business days after the resolution day."""
    return add_business_days(timezone.localdate(resolved_at), settings.RETROSPECTIVE_BUSINESS_DAYS)


def retrospective_schedule(*, incident: Incident, actor: Actor, at: datetime) -> Retrospective:
    """Schedule the retrospective of an incident resolved at `at`, and start its clock.

    A reopened and resolved-again incident keeps its retrospective, with a new due date
    while it is still only scheduled.
    """
    due_date = retrospective_due_date(at)
    with transaction.atomic(), acting_as(actor):
        retrospective = Retrospective.objects.select_for_update().filter(incident=incident).first()
        if retrospective is None:
            retrospective = Retrospective(incident=incident, due_date=due_date)
            retrospective.full_clean()
            retrospective.save()
        elif retrospective.status == RetrospectiveStatus.SCHEDULED:
            retrospective.due_date = due_date
            retrospective.save()
        else:
            return retrospective
        timeline_record(
            incident=incident,
            actor=actor,
            kind=TimelineKind.RETROSPECTIVE,
            text=f"Blameless retrospective scheduled: due by {due_date:%A %d %B %Y}",
            data={"retrospective_id": retrospective.pk, "due_date": due_date.isoformat()},
            at=at,
        )
        clock_start(
            incident=incident,
            actor=actor,
            kind=ClockKind.RETROSPECTIVE,
            due_at=start_of_day(due_date + timedelta(days=1)),
            at=at,
        )
    return retrospective


def _locked(retrospective: Retrospective) -> Retrospective:
    return Retrospective.objects.select_for_update().get(pk=retrospective.pk)


def _require_status(retrospective: Retrospective, status: str, step: str) -> None:
    if retrospective.status != status:
        raise ValidationError(
            {
                "status": f"Only a {status} retrospective can be {step}, "
                f"and this one is {retrospective.status}."
            }
        )


def retrospective_update(
    *,
    retrospective: Retrospective,
    actor: Actor,
    attendees: Iterable[AbstractBaseUser] | None = None,
    **fields,
) -> Retrospective:
    """Edit the retrospective's write-up and attendees; a published one is final."""
    reject_unknown_fields(fields, RETROSPECTIVE_FIELDS, on="a retrospective")
    with transaction.atomic(), acting_as(actor):
        retrospective = _locked(retrospective)
        if retrospective.status == RetrospectiveStatus.PUBLISHED:
            raise ValidationError({"status": "A published retrospective cannot be edited."})
        changed = [name for name, value in fields.items() if getattr(retrospective, name) != value]
        for name in changed:
            setattr(retrospective, name, fields[name])
        retrospective.full_clean()
        if attendees is not None and set(attendees) != set(retrospective.attendees.all()):
            changed.append("attendees")
        if not changed:
            return retrospective
        retrospective.save()
        if attendees is not None:
            retrospective.attendees.set(attendees)
        timeline_record(
            incident=retrospective.incident,
            actor=actor,
            kind=TimelineKind.RETROSPECTIVE,
            text="Retrospective edited: " + ", ".join(name.replace("_", " ") for name in changed),
            data={"retrospective_id": retrospective.pk, "fields": changed},
        )
    return retrospective


def retrospective_hold(
    *, retrospective: Retrospective, actor: Actor, at: datetime | None = None
) -> Retrospective:
    """Record that the retrospective meeting took place; this meets its clock."""
    at = at or timezone.now()
    with transaction.atomic(), acting_as(actor):
        retrospective = _locked(retrospective)
        _require_status(retrospective, RetrospectiveStatus.SCHEDULED, "held")
        if not retrospective.attendees.exists():
            raise ValidationError({"attendees": "Record who attended before marking it held."})
        retrospective.status = RetrospectiveStatus.HELD
        retrospective.held_at = at
        retrospective.save()
        clock_meet(
            incident=retrospective.incident,
            actor=actor,
            kind=ClockKind.RETROSPECTIVE,
            at=at,
            text=f"Retrospective held with {retrospective.attendees.count()} attendees",
        )
    return retrospective


def retrospective_publish(*, retrospective: Retrospective, actor: Actor) -> Retrospective:
    with transaction.atomic(), acting_as(actor):
        retrospective = _locked(retrospective)
        _require_status(retrospective, RetrospectiveStatus.HELD, "published")
        missing = {
            name: "A published retrospective needs this section: "
            f"{Retrospective._meta.get_field(name).verbose_name}."
            for name in PUBLISH_REQUIRED
            if not getattr(retrospective, name).strip()
        }
        if missing:
            raise ValidationError(missing)
        retrospective.status = RetrospectiveStatus.PUBLISHED
        retrospective.published_at = timezone.now()
        retrospective.save()
        timeline_record(
            incident=retrospective.incident,
            actor=actor,
            kind=TimelineKind.RETROSPECTIVE,
            text=f"Retrospective published by {actor.label}",
            data={"retrospective_id": retrospective.pk},
        )
    return retrospective


REMEDIATION_FIELDS = {"title", "description", "owner", "due_date", "status", "tracker_key"}


def remediation_create(
    *,
    incident: Incident,
    actor: Actor,
    title: str,
    description: str = "",
    owner: AbstractBaseUser | None = None,
    due_date: date | None = None,
    tracker_key: str = "",
    status: str = RemediationStatus.OPEN,
) -> RemediationTask:
    """Add a remediation task and, unless it is tracked already or finished, file it in Jira."""
    task = RemediationTask(
        incident=incident,
        title=title.strip(),
        description=description,
        owner=owner,
        due_date=due_date,
        tracker_key=tracker_key,
        status=status,
    )
    task.full_clean()
    with transaction.atomic(), acting_as(actor):
        task.save()
        owner_text = owner.get_username() if owner else "no owner yet"
        due_text = f"due {due_date:%Y-%m-%d}" if due_date else "no due date yet"
        timeline_record(
            incident=incident,
            actor=actor,
            kind=TimelineKind.REMEDIATION,
            text=f"Remediation task added ({owner_text}, {due_text}, "
            f"{task.get_status_display().lower()}): {task.title}",
            data={"remediation_task_id": task.pk},
        )
        if not tracker_key and status not in (RemediationStatus.DONE, RemediationStatus.WONT_DO):
            # Filed in the issue tracker by the outbox, in this same transaction.
            from integrations.services import remediation_task_file

            remediation_task_file(task=task, actor=actor)
    return task


def remediation_update(*, task: RemediationTask, actor: Actor, **fields) -> RemediationTask:
    reject_unknown_fields(fields, REMEDIATION_FIELDS, on="a remediation task")
    with transaction.atomic(), acting_as(actor):
        task = RemediationTask.objects.select_for_update().get(pk=task.pk)
        changed = [name for name, value in fields.items() if getattr(task, name) != value]
        if not changed:
            return task
        for name in changed:
            setattr(task, name, fields[name])
        task.full_clean()
        task.save()
        timeline_record(
            incident=task.incident,
            actor=actor,
            kind=TimelineKind.REMEDIATION,
            text=f"Remediation task {task.title!r} edited: " + ", ".join(changed),
            data={"remediation_task_id": task.pk, "fields": changed, "status": task.status},
        )
    return task
