import pytest

from incidents.actors import Actor
from incidents.choices import AlertSource, Category, TimelineKind
from incidents.services import AlertInput, alert_ingest
from tests.factories import UserFactory, make_alert_input

pytestmark = pytest.mark.django_db


def manual_input(external_id: str) -> AlertInput:
    return make_alert_input(
        source=AlertSource.MANUAL,
        external_id=external_id,
        title="Phishing mail sent from a staff account",
        category=Category.SECURITY,
    )


def test_ingest_defaults_to_source_integration():
    result = alert_ingest(manual_input("report-1"))

    history = result.alert.history.get()
    assert history.history_user is None
    assert history.history_integration == "manual"
    entry = result.incident.timeline.get(kind=TimelineKind.ALERT)
    assert entry.actor_integration == "manual"


def test_ingest_records_given_actor():
    reporter = UserFactory(username="reporter")

    result = alert_ingest(manual_input("report-2"), actor=Actor.for_user(reporter))

    assert result.alert.history.get().history_user == reporter
    assert result.incident.history.earliest().history_user == reporter
    entry = result.incident.timeline.get(kind=TimelineKind.ALERT)
    assert entry.actor_user == reporter
