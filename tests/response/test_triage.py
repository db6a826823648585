import pytest
from django.core.exceptions import ValidationError

from incidents.choices import DataExposure, MemberImpact, Severity, Status, TimelineKind
from incidents.models import SeverityLevel
from incidents.services import incident_update
from incidents.services.triage import incident_triage
from incidents.triage import TriageAnswers, suggest_severity
from tests.factories import UserFactory, make_incident

pytestmark = pytest.mark.django_db


def answers(**overrides) -> TriageAnswers:
    fields = {"member_impact": MemberImpact.NONE, "data_exposure": DataExposure.NONE}
    fields.update(overrides)
    return TriageAnswers(**fields)


def test_matrix_seeded_with_five_levels():
    levels = list(SeverityLevel.objects.values_list("level", flat=True))

    assert levels == ["SEV0", "SEV1", "SEV2", "SEV3", "SEV4"]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, Severity.SEV4),
        ({"member_impact": MemberImpact.FEW}, Severity.SEV3),
        ({"api_p95_ms": 249}, Severity.SEV4),
        ({"api_p95_ms": 250}, Severity.SEV2),
        ({"websocket_delivery_ms": 2000}, Severity.SEV2),
        ({"websocket_delivery_ms": 1999}, Severity.SEV4),
        ({"data_exposure": DataExposure.SUSPECTED}, Severity.SEV1),
        ({"services_affected": 2}, Severity.SEV1),
        ({"data_exposure": DataExposure.CONFIRMED}, Severity.SEV0),
        ({"member_impact": MemberImpact.ALL}, Severity.SEV0),
        ({"services_affected": 3, "api_p95_ms": 900}, Severity.SEV0),
    ],
)
def test_suggestion(overrides, expected):
    assert suggest_severity(answers(**overrides)) == expected


def test_edited_matrix_changes_suggestion():
    SeverityLevel.objects.filter(level=Severity.SEV1).update(slo_breach=True)

    assert suggest_severity(answers(api_p95_ms=400)) == Severity.SEV1


def test_unknown_answer_rejected():
    with pytest.raises(ValidationError) as error:
        answers(member_impact="everyone")

    assert "'everyone'" in error.value.message_dict["member_impact"][0]


def test_triage_records_decision_and_moves_status(staff_actor, staff_user):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV3)

    assessment = incident_triage(
        incident=incident,
        actor=staff_actor,
        answers=answers(data_exposure=DataExposure.SUSPECTED),
        severity=Severity.SEV2,
        reason="Exposure limited to test accounts",
    )

    incident.refresh_from_db()
    assert incident.status == Status.TRIAGED
    assert incident.severity == Severity.SEV2
    assert assessment.suggested_severity == Severity.SEV1
    assert assessment.decided_by == staff_user
    entry = incident.timeline.get(kind=TimelineKind.TRIAGE)
    assert entry.text == (
        "Triaged as SEV2 (matrix suggested SEV1) by duty-engineer: "
        "Exposure limited to test accounts"
    )
    assert incident.timeline.filter(kind=TimelineKind.SEVERITY).exists()


def test_triage_needs_reason(staff_actor):
    incident = make_incident(actor=staff_actor)

    with pytest.raises(ValidationError) as error:
        incident_triage(
            incident=incident, actor=staff_actor, answers=answers(), severity="SEV4", reason=" "
        )

    assert "reason" in error.value.message_dict
    incident.refresh_from_db()
    assert incident.status == Status.DETECTED
    assert not incident.triage_assessments.exists()


def test_role_handover_on_timeline(staff_actor):
    first = UserFactory(username="comms-first")
    second = UserFactory(username="comms-second")
    incident = make_incident(actor=staff_actor)

    incident_update(incident=incident, actor=staff_actor, communications_lead=first, scribe=first)
    incident_update(incident=incident, actor=staff_actor, communications_lead=second)

    texts = list(incident.timeline.filter(kind=TimelineKind.ROLE).values_list("text", flat=True))
    assert texts == [
        "comms-first assigned as communications lead",
        "comms-first assigned as scribe",
        "Communications lead handed over from comms-first to comms-second",
    ]


def test_triage_without_level_takes_suggestion(staff_actor):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV3)

    assessment = incident_triage(
        incident=incident,
        actor=staff_actor,
        answers=answers(api_p95_ms=420),
        reason="API p95 at 420 ms",
    )

    incident.refresh_from_db()
    assert assessment.severity == Severity.SEV2
    assert incident.severity == Severity.SEV2
    entry = incident.timeline.get(kind=TimelineKind.TRIAGE)
    assert entry.text.startswith("Triaged as SEV2 (as suggested)")
