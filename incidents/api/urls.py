from django.urls import include, path
from rest_framework.routers import SimpleRouter

from incidents.api import views

app_name = "api"

router = SimpleRouter()
router.register("incidents", views.IncidentViewSet, basename="incident")
router.register("alerts", views.AlertViewSet, basename="alert")

INCIDENT = "incidents/<str:key>"
action_list = views.IncidentActionViewSet.as_view({"get": "list", "post": "create"})
action_detail = views.IncidentActionViewSet.as_view({"get": "retrieve", "patch": "partial_update"})

urlpatterns = [
    path(f"{INCIDENT}/timeline/", views.IncidentTimelineView.as_view(), name="incident-timeline"),
    path(f"{INCIDENT}/actions/", action_list, name="incident-action-list"),
    path(f"{INCIDENT}/actions/<int:pk>/", action_detail, name="incident-action-detail"),
    path("manual-reports/", views.ManualReportView.as_view(), name="manual-report"),
    path("", include("incidents.api.response")),
    *router.urls,
]
