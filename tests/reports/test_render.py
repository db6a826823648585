import datetime as dt
import io
import re

import pytest
import time_machine
from django.db import transaction
from pypdf import PdfReader

from incidents.actors import Actor
from incidents.audit import acting_as
from incidents.choices import ActionKind, ActionStatus, AlertSignal, Category, Severity, Status
from incidents.models import RemediationTask, Service
from incidents.services import (
    AlertInput,
    action_create,
    action_update,
    alert_ingest,
    incident_transition,
    incident_update,
    timeline_add_note,
    timeline_record,
)
from reports import content
from reports.fonts import REPORT_FONT_FAMILY
from reports.services import report_render
from tests.factories import UserFactory, make_incident
from tests.reports.conftest import flat_text, pdf_pages, pdf_text

pytestmark = pytest.mark.django_db

GENERATED_AT = dt.datetime(2026, 3, 2, 14, 30, 5, tzinfo=dt.UTC)


def _render(incident, label="duty-engineer"):
    return report_render(incident=incident, generated_by_label=label, generated_at=GENERATED_AT)


@pytest.fixture
def worked_incident(staff_actor):
    """An incident taken from detection to resolution, with an action and a note."""
    commander = UserFactory(username="commander-kim")
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        incident = make_incident(
            actor=staff_actor,
            title="Login API returns 502",
            category=Category.AVAILABILITY,
            severity=Severity.SEV2,
            services=Service.objects.filter(slug="communities-api"),
        )
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, 12, tzinfo=dt.UTC), tick=False):
        incident_transition(incident=incident, actor=staff_actor, to_status=Status.TRIAGED)
        incident_update(incident=incident, actor=staff_actor, commander=commander)
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC), tick=False):
        action = action_create(
            incident=incident,
            actor=staff_actor,
            title="Roll back release 4.2",
            kind=ActionKind.RECOVERY,
            owner=commander,
        )
        timeline_add_note(incident=incident, actor=staff_actor, text="Rollback started by CI")
    with time_machine.travel(dt.datetime(2026, 3, 1, 10, 45, tzinfo=dt.UTC), tick=False):
        action_update(action=action, actor=staff_actor, status=ActionStatus.DONE)
        incident_transition(
            incident=incident,
            actor=staff_actor,
            to_status=Status.RESOLVED,
            override_reason="Rollback verified by smoke tests",
        )
    incident.refresh_from_db()
    return incident


def test_report_shows_incident_fields(worked_incident):
    text = flat_text(_render(worked_incident))

    assert worked_incident.key in text
    assert "Login API returns 502" in text
    assert "SEV2 – significant" in text
    assert "Resolved" in text
    assert "Availability" in text
    assert "Private No" in text
    assert "commander-kim" in text
    assert "2026-03-01 09:12:00" in text
    assert "Time to acknowledge (MTTA) 12 min 0 s" in text
    assert "Time to resolve (MTTR) 1 h 45 min 0 s" in text


def test_report_shows_timeline_and_actions(worked_incident):
    text = flat_text(_render(worked_incident))

    assert "Status changed from detected to triaged" in text
    assert "Rollback started by CI" in text
    assert "commander-kim assigned as incident commander" in text
    assert "Roll back release 4.2 Recovery commander-kim Done 2026-03-01 10:45:00" in text


def test_report_history_has_old_and_new_values(worked_incident):
    text = flat_text(_render(worked_incident))
    history = text.split("Audit history", 1)[1]

    assert "Status Detected Triaged" in history
    assert "Status Triaged Resolved" in history
    assert "Commander — commander-kim" in history
    assert "Resolved at — 2026-03-01 10:45:00 UTC" in history
    assert "Action Roll back release 4.2" in history
    assert "Status Open Done" in history


def test_history_change_names_integration(staff_actor):
    incident = make_incident(actor=Actor.for_integration("pagerduty"))
    incident_update(incident=incident, actor=staff_actor, title="Renamed")

    rows = content.history_table(incident).rows

    assert rows[0][2] == "pagerduty"
    assert rows[0][3] == "Created"
    title_row = next(row for row in rows if row[3] == "Title")
    assert title_row[2] == "duty-engineer"
    assert title_row[4] == "Communities API p95 latency above 250 ms"
    assert title_row[5] == "Renamed"


def test_history_lists_service_changes(staff_actor):
    incident = make_incident(actor=staff_actor)
    services = Service.objects.order_by("name")[:2]
    incident_update(incident=incident, actor=staff_actor, services=services)

    rows = content.history_table(incident).rows

    service_row = next(row for row in rows if row[3] == "Affected services")
    assert service_row[4] == "—"
    assert service_row[5] == ", ".join(service.name for service in services)


def test_report_lists_alerts_and_remediation(staff_actor):
    result = alert_ingest(
        AlertInput(
            source="cloudwatch",
            external_id="alarm-1",
            dedup_key="api-5xx",
            signal=AlertSignal.TRIGGER,
            title="API 5xx above 2 %",
            category=Category.AVAILABILITY,
            severity=Severity.SEV1,
            payload={"AlarmName": "api-5xx"},
        )
    )
    RemediationTask.objects.create(
        incident=result.incident, title="Add a canary stage", tracker_key="ACSEC-318"
    )

    text = flat_text(_render(result.incident))

    assert "AWS CloudWatch (SNS)" in text
    assert "API 5xx above 2 %" in text
    assert "SEV1 – major" in text
    assert "Remediation tasks" in text
    assert "Add a canary stage" in text
    assert "ACSEC-318" in text


def test_report_leaves_out_empty_remediation(staff_actor):
    text = pdf_text(_render(make_incident(actor=staff_actor)))

    assert "Remediation tasks" not in text


def test_footer_on_every_page(worked_incident):
    with transaction.atomic(), acting_as(Actor.for_integration("load")):
        for number in range(150):
            timeline_record(
                incident=worked_incident,
                actor=Actor.for_integration("load"),
                kind="note",
                text=f"Entry {number}",
            )

    pages = pdf_pages(_render(worked_incident, label="auditor-ana"))

    assert len(pages) > 1
    for number, page in enumerate(pages, start=1):
        assert "Generated at 2026-03-02 14:30:05 UTC by auditor-ana" in page
        assert f"Page {number} of {len(pages)}" in page


def test_report_embeds_report_font(staff_actor):
    reader = PdfReader(io.BytesIO(_render(make_incident(actor=staff_actor))))

    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))

    assert fonts
    # Subset fonts are named with a random prefix, such as /ABCDEF+DejaVu-Sans-Bold.
    base_name = re.escape(REPORT_FONT_FAMILY.replace(" ", "-"))
    pattern = rf"\+{base_name}(-Bold|-Oblique)?$"
    assert all(re.search(pattern, name) for name in fonts), fonts


def test_long_timeline_renders_in_chunks(staff_actor):
    incident = make_incident(actor=staff_actor)
    integration = Actor.for_integration("load")
    with transaction.atomic(), acting_as(integration):
        for number in range(1, 2001):
            timeline_record(
                incident=incident, actor=integration, kind="note", text=f"Load entry {number}"
            )

    table = content.timeline_table(incident)
    pdf = _render(incident)
    text = pdf_text(pdf)

    assert len(table.rows) == 2001
    assert [len(chunk) for chunk in table.chunks] == [100] * 20 + [1]
    assert "Load entry 1\n" in text
    assert "Load entry 2000" in text
    assert len(PdfReader(io.BytesIO(pdf)).pages) > 20


@pytest.mark.parametrize(
    ("duration", "expected"),
    [
        (None, "—"),
        (dt.timedelta(seconds=0), "0 s"),
        (dt.timedelta(seconds=59), "59 s"),
        (dt.timedelta(minutes=12), "12 min 0 s"),
        (dt.timedelta(days=2, hours=3, seconds=4), "2 d 3 h 0 min 4 s"),
        (dt.timedelta(minutes=-5), "-5 min 0 s"),
    ],
)
def test_format_duration(duration, expected):
    assert content.format_duration(duration) == expected
