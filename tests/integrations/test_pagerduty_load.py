"""Many incidents opened while PagerDuty fails often: every trigger arrives, none twice."""

from collections import Counter

import pytest

from incidents.choices import Severity
from integrations.fakes import Fault
from integrations.models import OutboxMessage, OutboxStatus, Target
from tests.factories import make_incident
from tests.integrations.conftest import drain

pytestmark = pytest.mark.django_db

INCIDENTS = 1000
FAILURE_RATE = 0.3
# Timeouts are left out to keep the run short; they are tested one by one elsewhere.
FAULTS = (Fault("500"), Fault("429", seconds=1), Fault("lost"), Fault("malformed"))


def test_thousand_triggers_arrive_once(live, settings, staff_actor, time_machine):
    # given: Slack in dry-run mode, and PagerDuty failing 30% of calls
    settings.SLACK_BOT_TOKEN = ""
    settings.OUTBOX_MAX_ATTEMPTS = 20
    live.fail_randomly("pagerduty-events", FAILURE_RATE, FAULTS, seed=20261204)
    incidents = [
        make_incident(actor=staff_actor, severity=Severity.SEV1, title=f"Load {n}")
        for n in range(INCIDENTS)
    ]

    # when
    drain(time_machine, max_rounds=500)

    # then: one alert per incident, and retries only ever repeated the same dedup_key
    rows = OutboxMessage.objects.filter(target=Target.PAGERDUTY)
    assert rows.count() == INCIDENTS
    assert set(rows.values_list("status", flat=True)) == {OutboxStatus.DELIVERED}
    alerts = Counter(alert["dedup_key"] for alert in live.alerts)
    assert len(alerts) == INCIDENTS
    assert set(alerts.values()) == {1}
    assert set(alerts) == {incident.key for incident in incidents}
    retried = rows.filter(attempts__gt=1).count()
    assert retried > INCIDENTS * FAILURE_RATE / 2
