import pytest

from incidents.choices import AlertSignal, Category, Severity, Status, TimelineKind
from incidents.models import Alert, Incident
from incidents.services import AlertInput, alert_ingest, incident_transition

pytestmark = pytest.mark.django_db

ALARM_ARN = "arn:aws:cloudwatch:eu-west-1:210987654321:alarm:feed-api-5xx-rate"


def _alarm(external_id: str, signal: str = AlertSignal.TRIGGER) -> AlertInput:
    return AlertInput(
        source="cloudwatch",
        external_id=external_id,
        dedup_key=ALARM_ARN,
        signal=signal,
        title="feed-api-5xx-rate in ALARM",
        category=Category.AVAILABILITY,
        severity=Severity.SEV2,
        payload={"AlarmName": "feed-api-5xx-rate"},
        service_slugs=("apis",),
    )


def test_trigger_opens_incident():
    result = alert_ingest(_alarm("msg-1"))

    assert result.opened_incident
    incident = result.incident
    assert incident.severity == Severity.SEV2
    assert list(incident.affected_services.values_list("slug", flat=True)) == ["apis"]
    assert incident.timeline.filter(kind=TimelineKind.ALERT).count() == 1
    assert result.alert.incident == incident


def test_redelivery_writes_nothing():
    first = alert_ingest(_alarm("msg-1"))

    again = alert_ingest(_alarm("msg-1"))

    assert again.duplicate
    assert again.alert.pk == first.alert.pk
    assert Alert.objects.count() == 1
    assert Incident.objects.count() == 1


def test_same_alarm_joins_open_incident():
    first = alert_ingest(_alarm("msg-1"))

    second = alert_ingest(_alarm("msg-2"))

    assert not second.opened_incident
    assert second.incident == first.incident
    assert Incident.objects.count() == 1


def test_recovery_goes_on_timeline_and_opens_nothing():
    opened = alert_ingest(_alarm("msg-1"))

    recovered = alert_ingest(_alarm("msg-2", signal=AlertSignal.RECOVERY))

    assert recovered.incident == opened.incident
    assert opened.incident.timeline.filter(kind=TimelineKind.RECOVERY).count() == 1
    assert Incident.objects.count() == 1


def test_recovery_without_incident_is_stored_alone():
    result = alert_ingest(_alarm("msg-1", signal=AlertSignal.RECOVERY))

    assert result.incident is None
    assert Incident.objects.count() == 0
    assert Alert.objects.get().incident is None


def test_alarm_after_resolution_opens_new_incident(staff_actor):
    first = alert_ingest(_alarm("msg-1")).incident
    incident_transition(
        incident=first,
        actor=staff_actor,
        to_status=Status.RESOLVED,
        override_reason="False alarm from a load test",
    )

    second = alert_ingest(_alarm("msg-2"))

    assert second.opened_incident
    assert second.incident != first
