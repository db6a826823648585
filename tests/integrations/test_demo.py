import pytest
from django.core.management import call_command

from incidents.models import RemediationStatus, RemediationTask
from integrations.models import DriveFile, OutboxMessage, OutboxStatus

pytestmark = pytest.mark.django_db


def test_demo_runs_every_integration(capsys):
    call_command("integrations_demo")

    output = capsys.readouterr().out
    assert "PagerDuty alerts 1" in output
    assert "1 responder request(s)" in output
    assert "PagerDuty events: trigger, acknowledge, resolve" in output
    assert "final report.pdf" in output
    task = RemediationTask.objects.get()
    assert task.status == RemediationStatus.DONE
    assert task.tracker_key.startswith("ACSEC-")
    assert DriveFile.objects.count() == 1
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.DELIVERED}
