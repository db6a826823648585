from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from incidents.actors import Actor
from incidents.audit import acting_as
from incidents.choices import TimelineKind
from incidents.models import Incident, TimelineEntry
from integrations.hooks import timeline_entry_recorded


def timeline_record(
    *,
    incident: Incident,
    actor: Actor,
    kind: str,
    text: str,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> TimelineEntry:
    """Append one entry to the incident's timeline.

    The caller sets the history actor with `acting_as`, which may differ from the entry's
    actor: a task records its integration as the actor and the requesting user in history.
    Call it inside the transaction of the change, which also writes the entry's outbox rows.
    """
    entry = TimelineEntry(incident=incident, kind=kind, text=text, data=data or {})
    entry.set_actor(actor)
    if at is not None:
        entry.occurred_at = at
    entry.full_clean()
    entry.save()
    # Outbox rows for PagerDuty, Slack and Drive, written in this same transaction.
    timeline_entry_recorded(entry=entry)
    return entry


def timeline_add_note(*, incident: Incident, actor: Actor, text: str) -> TimelineEntry:
    if not text or not text.strip():
        raise ValidationError({"text": "A note cannot be empty."})
    with transaction.atomic(), acting_as(actor):
        return timeline_record(
            incident=incident, actor=actor, kind=TimelineKind.NOTE, text=text.strip()
        )
