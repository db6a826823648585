import datetime as dt
import hashlib
import io

import pytest
from django.core.management import CommandError, call_command

from reports.models import ReportExport
from tests.factories import UserFactory, make_incident

pytestmark = pytest.mark.django_db


def _export_report(*args: str) -> str:
    stdout = io.StringIO()
    call_command("export_report", *args, stdout=stdout)
    return stdout.getvalue().strip()


def test_export_by_key(staff_actor, tmp_path):
    incident = make_incident(actor=staff_actor)
    output = tmp_path / "out"

    printed = _export_report("--key", incident.key, "--output", str(output))

    destination = output / f"{incident.key}.pdf"
    assert printed == str(destination)
    export = ReportExport.objects.get()
    assert hashlib.sha256(destination.read_bytes()).hexdigest() == export.sha256
    assert export.generated_by_integration == "reports-cli"
    assert export.generated_by is None


def test_export_first_picks_earliest(staff_actor, tmp_path):
    later = make_incident(actor=staff_actor, detected_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC))
    earliest = make_incident(actor=staff_actor, detected_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))

    printed = _export_report("--first", "--output", str(tmp_path))

    assert printed == str(tmp_path / f"{earliest.key}.pdf")
    assert ReportExport.objects.get().incident == earliest
    assert not (tmp_path / f"{later.key}.pdf").exists()


def test_export_as_user(staff_actor, staff_user, tmp_path):
    incident = make_incident(actor=staff_actor)

    _export_report("--key", incident.key, "--output", str(tmp_path), "--user", staff_user.username)

    assert ReportExport.objects.get().generated_by == staff_user


def test_unknown_key_fails(staff_actor, tmp_path):
    make_incident(actor=staff_actor)

    with pytest.raises(CommandError, match="'INC-1999-0001' not found"):
        _export_report("--key", "INC-1999-0001", "--output", str(tmp_path))


def test_user_must_see_incident(staff_actor, tmp_path):
    incident = make_incident(actor=staff_actor)
    UserFactory(username="member-mo", is_staff=False)

    with pytest.raises(CommandError, match="not visible to member-mo"):
        _export_report("--key", incident.key, "--output", str(tmp_path), "--user", "member-mo")
    assert not ReportExport.objects.exists()


def test_unknown_user_fails(staff_actor, tmp_path):
    incident = make_incident(actor=staff_actor)

    with pytest.raises(CommandError, match="User 'nobody' not found"):
        _export_report("--key", incident.key, "--output", str(tmp_path), "--user", "nobody")


def test_first_without_incidents_fails(db, tmp_path):
    with pytest.raises(CommandError, match="found no incidents"):
        _export_report("--first", "--output", str(tmp_path))


def test_key_or_first_required(db, tmp_path):
    with pytest.raises(CommandError, match="one of the arguments --key --first is required"):
        _export_report("--output", str(tmp_path))
