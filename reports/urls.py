from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("incidents/<str:key>.pdf", views.incident_pdf, name="incident-pdf"),
    path("exports/<int:pk>.pdf", views.export_pdf, name="export-pdf"),
]
