import pytest
from django.core.exceptions import ValidationError

from incidents.choices import Severity, Status, TimelineKind
from incidents.services import incident_change_severity, incident_transition
from tests.factories import make_incident

pytestmark = pytest.mark.django_db


def test_transition_writes_timeline_and_times(staff_actor):
    incident = make_incident(actor=staff_actor)

    incident = incident_transition(incident=incident, actor=staff_actor, to_status=Status.TRIAGED)

    assert incident.status == Status.TRIAGED
    assert incident.acknowledged_at is not None
    entry = incident.timeline.filter(kind=TimelineKind.STATUS).get()
    assert entry.text == "Status changed from detected to triaged"
    assert entry.actor_user == staff_actor.user


def test_illegal_transition_names_both_states(staff_actor):
    incident = make_incident(actor=staff_actor)

    with pytest.raises(ValidationError) as error:
        incident_transition(incident=incident, actor=staff_actor, to_status=Status.CLOSED)

    message = error.value.message_dict["status"][0]
    assert "from detected to closed" in message
    incident.refresh_from_db()
    assert incident.status == Status.DETECTED
    assert not incident.timeline.filter(kind=TimelineKind.STATUS).exists()


def test_severity_change_records_reason(staff_actor):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV3)

    incident_change_severity(
        incident=incident, actor=staff_actor, severity=Severity.SEV1, reason="Member data exposed"
    )

    entry = incident.timeline.get(kind=TimelineKind.SEVERITY)
    assert entry.text == "Severity changed from SEV3 to SEV1: Member data exposed"
    latest = incident.history.first()
    assert latest.severity == Severity.SEV1
    assert latest.history_user == staff_actor.user


def test_history_rows_say_why(staff_actor):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV3)

    incident = incident_transition(
        incident=incident, actor=staff_actor, to_status=Status.TRIAGED, note="Paged the DBA"
    )
    after_transition = incident.history.latest().history_change_reason
    incident_change_severity(
        incident=incident, actor=staff_actor, severity=Severity.SEV1, reason="x" * 200
    )
    after_severity = incident.history.latest().history_change_reason

    assert after_transition == "Status changed from detected to triaged: Paged the DBA"
    assert after_severity.startswith("Severity changed from SEV3 to SEV1: xxx")
    assert len(after_severity) == 100
