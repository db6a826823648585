from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from reports.api import IncidentReportPDFView

urlpatterns = [
    path("admin/", admin.site.urls),
    path(
        "api/v1/incidents/<str:key>/report.pdf",
        IncidentReportPDFView.as_view(),
        name="api-incident-report-pdf",
    ),
    path("api/v1/", include("incidents.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("webhooks/", include("integrations.webhooks.urls")),
    path("reports/", include("reports.urls")),
]
