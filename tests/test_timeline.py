import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from incidents.actors import Actor
from incidents.choices import TimelineKind
from incidents.models import TimelineEntry
from incidents.services import timeline_add_note
from tests.factories import make_incident

pytestmark = pytest.mark.django_db


def test_entry_cannot_be_changed(staff_actor):
    incident = make_incident(actor=staff_actor)
    entry = timeline_add_note(incident=incident, actor=staff_actor, text="Paged the API team")

    entry.text = "Rewritten"
    with pytest.raises(PermissionDenied):
        entry.save()

    entry.refresh_from_db()
    assert entry.text == "Paged the API team"


def test_entry_cannot_be_deleted(staff_actor):
    incident = make_incident(actor=staff_actor)
    entry = timeline_add_note(incident=incident, actor=staff_actor, text="Rolled back 4.18.0")

    with pytest.raises(PermissionDenied):
        entry.delete()
    with pytest.raises(PermissionDenied):
        TimelineEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(PermissionDenied):
        TimelineEntry.objects.filter(pk=entry.pk).update(text="Rewritten")

    assert TimelineEntry.objects.filter(pk=entry.pk, text="Rolled back 4.18.0").exists()


def test_empty_note_is_rejected(staff_actor):
    incident = make_incident(actor=staff_actor)
    before = incident.timeline.count()

    with pytest.raises(ValidationError) as error:
        timeline_add_note(incident=incident, actor=staff_actor, text="   ")

    assert error.value.message_dict == {"text": ["A note cannot be empty."]}
    assert incident.timeline.count() == before


def test_integration_actor_is_recorded(staff_actor):
    incident = make_incident(actor=Actor.for_integration("cloudwatch"))

    created = incident.timeline.get(kind=TimelineKind.CREATED)
    history_row = incident.history.earliest()

    assert created.actor_integration == "cloudwatch"
    assert created.actor_user is None
    assert history_row.history_integration == "cloudwatch"
    assert history_row.history_user is None
