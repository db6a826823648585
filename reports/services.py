"""Rendering and exporting incident reports. Admin, API and command call these."""

import datetime as dt
import hashlib
import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from incidents.actors import Actor
from incidents.audit import acting_as
from incidents.choices import TimelineKind
from incidents.models import Incident
from incidents.services import timeline_record
from reports import content
from reports.models import ReportExport
from reports.pdf import asset_url, html_to_pdf

logger = logging.getLogger(__name__)

TEMPLATE_NAME = "reports/incident_report.html"


def report_render(
    *, incident: Incident, generated_by_label: str, generated_at: dt.datetime
) -> bytes:
    """Render the incident's report as PDF bytes, without storing or recording anything."""
    incident = (
        Incident.objects.select_related("commander", "security_lead")
        .prefetch_related("affected_services")
        .get(pk=incident.pk)
    )
    tables = [
        content.timeline_table(incident),
        content.actions_table(incident),
        content.alerts_table(incident),
    ]
    remediation = content.remediation_table(incident)
    if remediation.rows:
        tables.append(remediation)
    tables.append(content.history_table(incident))

    html = render_to_string(
        TEMPLATE_NAME,
        {
            "incident": incident,
            "details": content.incident_details(incident),
            "times": content.incident_times(incident),
            "tables": tables,
            "generated_at": content.format_time(generated_at),
            "generated_by": generated_by_label,
            "stylesheet_url": asset_url("reports/report.css"),
        },
    )
    return html_to_pdf(html)


def report_export(*, incident: Incident, actor: Actor) -> ReportExport:
    """Render the report, store the PDF with its SHA-256 and record the export."""
    generated_at = timezone.now()
    pdf = report_render(
        incident=incident, generated_by_label=actor.label, generated_at=generated_at
    )
    digest = hashlib.sha256(pdf).hexdigest()

    export = ReportExport(
        incident=incident,
        generated_by=actor.user,
        generated_by_integration=actor.integration,
        generated_at=generated_at,
        sha256=digest,
        size_bytes=len(pdf),
        retain_until=_retain_until(generated_at),
    )
    filename = f"{incident.key}-{generated_at:%Y%m%dT%H%M%SZ}-{digest[:12]}.pdf"
    export.file.save(filename, ContentFile(pdf), save=False)

    try:
        export.full_clean()
        with transaction.atomic(), acting_as(actor):
            export.save()
            timeline_record(
                incident=incident,
                actor=actor,
                kind=TimelineKind.REPORT,
                text=f"Report exported by {actor.label} (SHA-256 {digest[:12]}…)",
                data={"export_id": export.pk, "sha256": digest, "size_bytes": len(pdf)},
            )
    except BaseException:
        # No row refers to the file, so it would never be found again.
        export.file.delete(save=False)
        raise

    logger.info(
        "Exported the report of %s as %s (%d bytes, sha256 %s)",
        incident.key,
        export.file.name,
        len(pdf),
        digest,
    )
    return export


def _retain_until(generated_at: dt.datetime) -> dt.date:
    generated_on = generated_at.astimezone(dt.UTC).date()
    return generated_on + dt.timedelta(days=settings.REPORT_RETENTION_DAYS)
