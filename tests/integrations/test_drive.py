import hashlib

import pytest

from incidents.choices import Severity, Status
from incidents.services import incident_transition
from integrations.fakes import Fault
from integrations.models import DriveFile, OutboxMessage, OutboxStatus, Target
from integrations.reports import ReportFile
from tests.factories import make_incident
from tests.integrations.conftest import drain

pytestmark = pytest.mark.django_db

REPORT_BYTES = b"%PDF-1.7 final report of the incident"
# Resolving skips the 24-hour monitoring window, which these tests do not exercise.
NO_WINDOW = "Closed out in a test"


def fixed_report(*, incident, actor):
    return ReportFile(
        name=f"{incident.key} final report.pdf",
        content=REPORT_BYTES,
        sha256=hashlib.sha256(REPORT_BYTES).hexdigest(),
    )


@pytest.fixture
def report_builder(settings):
    settings.INTEGRATIONS_REPORT_BUILDER = "tests.integrations.test_drive.fixed_report"


def close(incident, actor):
    incident = incident_transition(
        incident=incident, actor=actor, to_status=Status.RESOLVED, override_reason=NO_WINDOW
    )
    return incident_transition(incident=incident, actor=actor, to_status=Status.CLOSED)


def test_closed_incident_report_is_uploaded(live, report_builder, staff_actor, time_machine):
    incident = close(make_incident(actor=staff_actor, severity=Severity.SEV3), staff_actor)

    drain(time_machine)

    [upload] = live.uploads
    assert upload["name"] == f"{incident.key} final report.pdf"
    assert upload["parents"] == ["FOLDER1"]
    assert upload["content"] == REPORT_BYTES
    assert upload["appProperties"]["incidentDeskIncident"] == incident.key
    stored = DriveFile.objects.get(incident=incident)
    assert stored.file_id == upload["id"]
    assert stored.sha256 == hashlib.sha256(REPORT_BYTES).hexdigest()
    assert live.tokens_issued >= 1


def test_resolved_incident_is_not_uploaded(live, report_builder, staff_actor, time_machine):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV3)
    incident_transition(
        incident=incident, actor=staff_actor, to_status=Status.RESOLVED, override_reason=NO_WINDOW
    )

    drain(time_machine)

    assert live.uploads == []
    assert not OutboxMessage.objects.filter(target=Target.GOOGLE_DRIVE).exists()


def test_lost_upload_response_uploads_once(live, report_builder, staff_actor, time_machine):
    # The token, the folder and file lookups go through; the upload's response is lost.
    live.fail_next("google", None, None, None, Fault("lost"))
    incident = close(make_incident(actor=staff_actor, severity=Severity.SEV3), staff_actor)

    drain(time_machine)

    row = OutboxMessage.objects.get(target=Target.GOOGLE_DRIVE)
    assert row.status == OutboxStatus.DELIVERED
    assert row.attempts == 2
    assert len(live.uploads) == 1
    assert DriveFile.objects.get(incident=incident).file_id == live.uploads[0]["id"]


@pytest.mark.parametrize(
    "fault",
    [Fault("429", seconds=5), Fault("500"), Fault("timeout", seconds=2), Fault("malformed")],
    ids=["rate-limit", "server-error", "timeout", "malformed"],
)
def test_transient_failure_uploads_once(live, report_builder, staff_actor, fault, time_machine):
    live.fail_next("google", None, fault)
    close(make_incident(actor=staff_actor, severity=Severity.SEV3), staff_actor)

    drain(time_machine)

    row = OutboxMessage.objects.get(target=Target.GOOGLE_DRIVE)
    assert row.status == OutboxStatus.DELIVERED
    assert len(live.uploads) == 1


def test_missing_folder_fails(live, report_builder, settings, staff_actor, time_machine):
    settings.GOOGLE_DRIVE_FOLDER_NAME = "Postmortems"
    close(make_incident(actor=staff_actor, severity=Severity.SEV3), staff_actor)

    drain(time_machine)

    row = OutboxMessage.objects.get(target=Target.GOOGLE_DRIVE)
    assert row.status == OutboxStatus.FAILED
    assert "'Postmortems'" in row.last_error
    assert live.uploads == []


def test_default_builder_renders_pdf(live, staff_actor, time_machine):
    close(make_incident(actor=staff_actor, severity=Severity.SEV3), staff_actor)

    drain(time_machine)

    [upload] = live.uploads
    assert upload["content"].startswith(b"%PDF-")
