from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from incidents.choices import Category, Severity, Status
from incidents.models import Incident, RemediationStatus, RemediationTask
from integrations.models import DriveFile, OutboxMessage, OutboxStatus, PagerDutyIncident, Target

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


@pytest.fixture
def sample_certificates(settings):
    settings.SNS_CERT_CACHE_DIR = str(SAMPLES / "sns-certs")


def test_demo_runs_every_integration(capsys):
    call_command("integrations_demo")

    output = capsys.readouterr().out
    assert "PagerDuty alerts 1" in output
    assert "Acknowledged in PagerDuty" in output
    assert "1 responder request(s)" in output
    assert "PagerDuty events: trigger, acknowledge, resolve" in output
    assert "final report.pdf" in output
    task = RemediationTask.objects.get()
    assert task.status == RemediationStatus.DONE
    assert task.tracker_key.startswith("ACSEC-")
    assert DriveFile.objects.count() == 1
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.DELIVERED}


def test_demo_replays_samples_through_fakes(capsys, sample_certificates):
    # when: the samples are replayed with every integration pointed at the fakes
    call_command("integrations_demo", "--replay", str(SAMPLES / "deliveries"))

    # then: every incident of SEV0 to SEV2 paged PagerDuty and opened a war-room thread
    output = capsys.readouterr().out
    paging = Incident.objects.filter(severity__in=[Severity.SEV0, Severity.SEV1, Severity.SEV2])
    assert Incident.objects.count() == 8
    assert paging.count() == 7
    assert "8 incidents opened, PagerDuty alerts 7" in output
    triggers = OutboxMessage.objects.filter(target=Target.PAGERDUTY, operation="trigger")
    assert triggers.count() == paging.count()
    threads = OutboxMessage.objects.filter(
        target=Target.SLACK, payload__thread="parent", status=OutboxStatus.DELIVERED
    )
    assert threads.count() == Incident.objects.count()

    # and: the Zendesk escalation, the most severe, went through to closure
    followed = Incident.objects.get(severity=Severity.SEV1)
    assert followed.category == Category.SECURITY
    assert f"Following {followed.key} (SEV1)" in output
    assert followed.status == Status.CLOSED
    assert followed.acknowledged_at is not None
    acknowledged = PagerDutyIncident.objects.filter(
        incident=followed, acknowledged_at__isnull=False
    )
    assert acknowledged.count() == 2
    task = RemediationTask.objects.get(incident=followed)
    assert task.status == RemediationStatus.DONE
    assert followed.timeline.filter(actor_integration="jira").exists()
    assert DriveFile.objects.get().incident == followed
    assert not OutboxMessage.objects.exclude(status=OutboxStatus.DELIVERED).exists()


def test_demo_rejects_missing_folder(tmp_path):
    with pytest.raises(CommandError, match="No delivery files"):
        call_command("integrations_demo", "--replay", str(tmp_path))
