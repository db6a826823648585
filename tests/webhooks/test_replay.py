import pytest
from django.core.management import CommandError, call_command

from incidents.choices import AlertSignal, Category, Severity, TimelineKind
from incidents.models import Alert, Incident
from integrations.models import SnsSubscription, SnsSubscriptionStatus
from tests.webhooks.conftest import SAMPLES, SNS_KEY

pytestmark = pytest.mark.django_db


def replay(*args):
    from io import StringIO

    out = StringIO()
    call_command("replay_deliveries", str(SAMPLES), *args, stdout=out)
    return out.getvalue().splitlines()


def test_replay_of_the_samples_opens_the_expected_incidents():
    lines = replay("--sign", "--sns-key", str(SNS_KEY))

    assert [line.split()[:2] for line in lines] == [
        ["cloudwatch/01-subscription-confirmation.json", "200"],
        ["cloudwatch/02-api-latency-alarm.json", "202"],
        ["cloudwatch/03-websocket-delivery-alarm.json", "202"],
        ["cloudwatch/04-waf-blocked-requests-alarm.json", "202"],
        ["cloudwatch/05-data-plane-queue-insufficient-data.json", "202"],
        ["cloudwatch/06-api-latency-ok.json", "202"],
        ["crashlytics/01-new-fatal-issue.json", "202"],
        ["crashlytics/02-velocity-same-issue.json", "202"],
        ["github/01-ping.json", "200"],
        ["github/02-code-scanning-created-instances.json", "202"],
        ["github/03-code-scanning-most-recent-instance.json", "202"],
        ["github/04-dependabot-created.json", "202"],
        ["jira/01-issue-done-untracked.json", "200"],
        ["zendesk/01-ticket-privacy-escalation.json", "202"],
        ["zendesk/02-pagerduty-escalation-triggered.json", "200"],
        ["zendesk/03-pagerduty-escalation-acknowledged.json", "200"],
    ]
    keys = {line.split()[0]: line.split()[2] for line in lines}
    assert keys["cloudwatch/06-api-latency-ok.json"] == keys["cloudwatch/02-api-latency-alarm.json"]
    assert (
        keys["crashlytics/02-velocity-same-issue.json"]
        == keys["crashlytics/01-new-fatal-issue.json"]
    )
    assert keys["cloudwatch/05-data-plane-queue-insufficient-data.json"] == "-"
    assert keys["github/01-ping.json"] == "-"
    assert keys["jira/01-issue-done-untracked.json"] == "-"
    ticket = keys["zendesk/01-ticket-privacy-escalation.json"]
    assert keys["zendesk/02-pagerduty-escalation-triggered.json"] == ticket
    assert keys["zendesk/03-pagerduty-escalation-acknowledged.json"] == ticket

    incidents = [
        (incident.category, incident.severity, incident.alerts.count())
        for incident in Incident.objects.all()
    ]
    assert len(incidents) == 8
    assert Alert.objects.count() == 11
    assert sorted(incidents) == sorted(
        [
            (Category.AVAILABILITY, Severity.SEV2, 2),  # API latency: ALARM then OK
            (Category.AVAILABILITY, Severity.SEV2, 1),  # websocket delivery
            (Category.SECURITY, Severity.SEV2, 1),  # WAF blocked requests
            (Category.AVAILABILITY, Severity.SEV2, 2),  # Crashlytics fatal + velocity
            (Category.SECURITY, Severity.SEV2, 1),  # code scanning py/path-injection
            (Category.SECURITY, Severity.SEV3, 1),  # code scanning js/xss-through-dom
            (Category.SECURITY, Severity.SEV2, 1),  # Dependabot ws
            (Category.SECURITY, Severity.SEV1, 1),  # Zendesk privacy escalation
        ]
    )
    escalated = Incident.objects.get(key=ticket)
    assert escalated.pagerduty_incidents.get().pagerduty_id == "Q3ZD91307ESC0A"
    assert escalated.acknowledged_at is not None
    api = Incident.objects.get(key=keys["cloudwatch/02-api-latency-alarm.json"])
    assert api.timeline.filter(kind=TimelineKind.RECOVERY).count() == 1
    assert Alert.objects.get(signal=AlertSignal.INFO).incident is None
    subscription = SnsSubscription.objects.get()
    assert subscription.status == SnsSubscriptionStatus.PENDING


def test_replaying_twice_stores_nothing_new():
    replay("--sign")
    alerts, incidents = Alert.objects.count(), Incident.objects.count()

    lines = replay("--sign")

    assert all(line.split()[1] == "200" for line in lines)
    assert (Alert.objects.count(), Incident.objects.count()) == (alerts, incidents)


def test_unsigned_replay_with_the_wrong_secrets_fails_the_command():
    """The committed signatures use the demo secrets; the test settings use others."""
    with pytest.raises(CommandError, match="deliveries were refused"):
        replay()


def test_missing_folder_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="No delivery files"):
        call_command("replay_deliveries", str(tmp_path))
