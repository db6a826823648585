"""The final report of a closed incident, as uploaded to Google Drive.

The builder named by INTEGRATIONS_REPORT_BUILDER makes it. The default uses
`reports.services.report_export` where the reports app provides it, and otherwise
renders a short summary PDF of the incident and its timeline.
"""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.utils.html import escape
from django.utils.module_loading import import_string

from incidents.actors import Actor
from incidents.models import Incident

PDF_MIME_TYPE = "application/pdf"


@dataclass(frozen=True)
class ReportFile:
    name: str
    content: bytes
    sha256: str
    mime_type: str = PDF_MIME_TYPE


def report_file_name(incident: Incident) -> str:
    return f"{incident.key} final report.pdf"


def final_report(*, incident: Incident, actor: Actor) -> ReportFile:
    """Build the final report with the configured builder."""
    builder = import_string(settings.INTEGRATIONS_REPORT_BUILDER)
    return builder(incident=incident, actor=actor)


def build_final_report(*, incident: Incident, actor: Actor) -> ReportFile:
    try:
        from reports.services import report_export
    except ImportError:
        return _summary_report(incident)

    export = report_export(incident=incident, actor=actor)
    with export.file.open("rb") as handle:
        content = handle.read()
    return ReportFile(name=report_file_name(incident), content=content, sha256=export.sha256)


def _refuse_fetch(url: str, *args, **kwargs):
    raise ValueError(f"The summary report loads no resources, not even {url!r}.")


def _summary_report(incident: Incident) -> ReportFile:
    """Render the incident and its timeline as a small PDF, fetching no URL or file."""
    from weasyprint import HTML

    rows = "".join(
        f"<tr><td>{entry.occurred_at:%Y-%m-%d %H:%M}</td><td>{escape(entry.text)}</td></tr>"
        for entry in incident.timeline.all()
    )
    document = (
        f"<h1>{escape(incident.key)}: {escape(incident.title)}</h1>"
        f"<p>{escape(incident.severity)} {escape(incident.category)}, {escape(incident.status)}</p>"
        f"<table>{rows}</table>"
    )
    content = HTML(string=document, url_fetcher=_refuse_fetch).write_pdf()
    return ReportFile(
        name=report_file_name(incident),
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
    )
