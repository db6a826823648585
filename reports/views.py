from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from incidents.actors import Actor
from incidents.selectors import incidents_visible_to
from reports.models import ReportExport
from reports.services import report_export


def pdf_attachment(export: ReportExport) -> FileResponse:
    """Send a stored report as a download named after its incident key."""
    return FileResponse(
        export.file.open("rb"),
        as_attachment=True,
        filename=f"{export.incident.key}.pdf",
        content_type="application/pdf",
    )


# The API's report route requires the same permission (incidents.api.permissions).
REPORT_PERMISSION = "reports.view_reportexport"


@require_GET
@staff_member_required
@permission_required(REPORT_PERMISSION, raise_exception=True)
def incident_pdf(request: HttpRequest, key: str) -> FileResponse:
    """Export a new report of one incident and download it.

    NOTE: a GET that writes, so that the admin can link to it. Each call renders and
    stores a new export, and a page that embeds this URL can make a staff browser
    create one.
    """
    incident = get_object_or_404(incidents_visible_to(request.user), key=key)
    export = report_export(incident=incident, actor=Actor.for_user(request.user))
    return pdf_attachment(export)


@require_GET
@staff_member_required
@permission_required(REPORT_PERMISSION, raise_exception=True)
def export_pdf(request: HttpRequest, pk: int) -> FileResponse:
    """Download a report exported earlier, as it was stored."""
    export = get_object_or_404(
        ReportExport.objects.select_related("incident"),
        pk=pk,
        incident__in=incidents_visible_to(request.user),
    )
    return pdf_attachment(export)
