import datetime as dt
import hashlib

import pytest
import time_machine
from django.db import IntegrityError

from incidents.actors import Actor
from incidents.choices import TimelineKind
from reports import services as report_services
from reports.models import ReportExport
from reports.services import report_export
from tests.factories import make_incident
from tests.reports.conftest import pdf_text

pytestmark = pytest.mark.django_db


@time_machine.travel(dt.datetime(2026, 3, 2, 14, 30, tzinfo=dt.UTC), tick=False)
def test_export_stores_pdf_and_hash(staff_actor, media_root):
    incident = make_incident(actor=staff_actor)

    export = report_export(incident=incident, actor=staff_actor)

    stored = (media_root / export.file.name).read_bytes()
    assert stored.startswith(b"%PDF-")
    assert export.sha256 == hashlib.sha256(stored).hexdigest()
    assert export.size_bytes == len(stored)
    assert export.file.name.startswith(f"reports/{incident.key}/")
    assert export.generated_by == staff_actor.user
    assert export.generated_by_integration == ""
    assert export.generated_at == dt.datetime(2026, 3, 2, 14, 30, tzinfo=dt.UTC)


@time_machine.travel(dt.datetime(2026, 3, 2, 23, 59, tzinfo=dt.UTC), tick=False)
def test_export_retained_two_years(staff_actor, settings):
    assert settings.REPORT_RETENTION_DAYS == 730

    export = report_export(incident=make_incident(actor=staff_actor), actor=staff_actor)

    assert export.retain_until == dt.date(2028, 3, 1)


def test_export_records_timeline_entry(staff_actor):
    incident = make_incident(actor=staff_actor)

    export = report_export(incident=incident, actor=staff_actor)

    entry = incident.timeline.get(kind=TimelineKind.REPORT)
    assert entry.text == f"Report exported by duty-engineer (SHA-256 {export.sha256[:12]}…)"
    assert entry.actor_user == staff_actor.user
    assert entry.data["export_id"] == export.pk
    assert entry.data["sha256"] == export.sha256


def test_export_by_integration(staff_actor):
    incident = make_incident(actor=staff_actor)

    export = report_export(incident=incident, actor=Actor.for_integration("reports-cli"))

    assert export.generated_by is None
    assert export.generated_by_integration == "reports-cli"
    assert export.generated_by_label == "reports-cli"
    history = export.history.get()
    assert history.history_integration == "reports-cli"
    entry = incident.timeline.get(kind=TimelineKind.REPORT)
    assert entry.actor_integration == "reports-cli"


def test_export_history_names_user(staff_actor):
    export = report_export(incident=make_incident(actor=staff_actor), actor=staff_actor)

    assert export.history.get().history_user == staff_actor.user


def test_failed_export_removes_file(staff_actor, media_root, monkeypatch):
    incident = make_incident(actor=staff_actor)

    def fail(**kwargs):
        raise IntegrityError("timeline insert failed")

    monkeypatch.setattr(report_services, "timeline_record", fail)

    with pytest.raises(IntegrityError):
        report_export(incident=incident, actor=staff_actor)

    assert not ReportExport.objects.exists()
    assert list((media_root / "reports" / incident.key).iterdir()) == []


def test_export_pdf_names_exporter(staff_actor):
    export = report_export(incident=make_incident(actor=staff_actor), actor=staff_actor)

    with export.file.open("rb") as stored:
        text = pdf_text(stored.read())
    assert "by duty-engineer" in text
