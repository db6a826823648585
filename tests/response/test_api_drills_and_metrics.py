import datetime as dt

import pytest
from rest_framework.test import APIClient

from incidents.actors import Actor
from incidents.choices import Severity, Status
from incidents.models import Drill
from incidents.services import incident_transition
from tests.factories import ResponderFactory, UserFactory, make_incident

pytestmark = pytest.mark.django_db

ACTOR = Actor.for_integration("test")


@pytest.fixture
def api():
    client = APIClient()
    client.force_authenticate(ResponderFactory(username="duty-engineer"))
    return client


def slow_sev2(time_machine, detected):
    time_machine.move_to(detected, tick=False)
    incident = make_incident(actor=ACTOR, severity=Severity.SEV2)
    time_machine.move_to(detected + dt.timedelta(minutes=90), tick=False)
    return incident_transition(
        incident=incident, actor=ACTOR, to_status=Status.RESOLVED, override_reason="Test"
    )


def test_metrics_in_minutes(api, time_machine):
    incident = slow_sev2(time_machine, dt.datetime(2026, 3, 3, 10, 0, tzinfo=dt.UTC))

    body = api.get("/api/v1/metrics/").json()

    assert body["groups"] == [
        {
            "month": "2026-03",
            "severity": "SEV2",
            "incidents": 1,
            "mtta_minutes": 90.0,
            "mttr_minutes": 90.0,
            "mttr_exceeded": 1,
        }
    ]
    assert body["flagged"] == [{"key": incident.key, "severity": "SEV2", "mttr_minutes": 90.0}]


def test_metrics_date_range(api, time_machine):
    slow_sev2(time_machine, dt.datetime(2026, 3, 3, 10, 0, tzinfo=dt.UTC))
    slow_sev2(time_machine, dt.datetime(2026, 4, 3, 10, 0, tzinfo=dt.UTC))

    body = api.get("/api/v1/metrics/", {"since": "2026-04-01"}).json()

    assert [group["month"] for group in body["groups"]] == ["2026-04"]


def test_metrics_invalid_date(api):
    response = api.get("/api/v1/metrics/", {"until": "April"})

    assert response.status_code == 400
    assert response.json() == {"until": ["'April' is not a YYYY-MM-DD date."]}


def test_drill_recorded_with_incident(api, time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 3, 10, 0, tzinfo=dt.UTC), tick=False)
    incident = make_incident(actor=ACTOR, severity=Severity.SEV1)
    UserFactory(username="scribe")

    response = api.post(
        "/api/v1/drills/",
        {
            "scenario": "Leaked signing key",
            "held_on": "2026-03-03",
            "participants": ["duty-engineer", "scribe"],
            "findings": "Token revocation took 12 minutes.",
            "incident_key": incident.key,
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["incident"] == incident.key
    incident.refresh_from_db()
    assert incident.is_drill
    assert Drill.objects.get().participants.count() == 2
    assert api.get("/api/v1/metrics/").json()["groups"] == []


def test_severity_levels_listed(api):
    levels = api.get("/api/v1/severity-levels/").json()

    assert [level["level"] for level in levels] == ["SEV0", "SEV1", "SEV2", "SEV3", "SEV4"]
    assert levels[2]["slo_breach"] is True
