from django.http import FileResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.views import APIView

from incidents.actors import Actor
from incidents.selectors import incidents_visible_to
from reports.models import ReportExport
from reports.services import report_export
from reports.views import pdf_attachment


class PDFRenderer(BaseRenderer):
    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class IncidentReportPDFView(APIView):
    """Export a new report of one incident and return the PDF."""

    renderer_classes = [PDFRenderer]
    # Each download stores a new export. The admin lets no one add exports by hand, so
    # the download needs the permission to view them, as the admin's export list does.
    permission_model = ReportExport

    @extend_schema(
        operation_id="incidents_report_pdf",
        summary="Export an incident report as PDF",
        description=(
            "Renders the incident's report, stores it as a report export with its "
            "SHA-256, adds a timeline entry and returns the PDF as an attachment."
        ),
        parameters=[
            OpenApiParameter(
                "key",
                str,
                OpenApiParameter.PATH,
                description="The incident key, such as INC-2026-0001.",
            )
        ],
        responses={
            (200, "application/pdf"): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="The report as a PDF file."
            ),
            (404, "application/json"): OpenApiResponse(
                description="No incident with this key is visible to the caller."
            ),
        },
        tags=["reports"],
    )
    def get(self, request, key: str) -> FileResponse:
        incident = get_object_or_404(incidents_visible_to(request.user), key=key)
        export = report_export(incident=incident, actor=Actor.for_user(request.user))
        return pdf_attachment(export)

    def handle_exception(self, exc):
        # Errors are JSON even when the client accepts only PDF, because the PDF
        # renderer cannot render an error body.
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)
