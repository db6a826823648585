"""The response API: triage, roles, runbooks, clocks, communications, retrospectives.

Every view names the model whose permissions govern it (see
`incidents.api.permissions`), reads incidents through `incidents_visible_to` and writes
through the services, acting as the requesting user. A service's ValidationError becomes
a 400 response with the same field names and messages.
"""

from datetime import date

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents.actors import Actor
from incidents.api import response_serializers as s
from incidents.api.views import INCIDENT_KEY_PARAMETER
from incidents.choices import Status
from incidents.communications import render_communication
from incidents.metrics import response_metrics
from incidents.models import (
    Clock,
    Communication,
    CommunicationTemplate,
    Drill,
    Incident,
    IncidentRunbook,
    RemediationTask,
    Retrospective,
    Runbook,
    SeverityLevel,
    TriageAssessment,
)
from incidents.selectors import incident_document, incidents_visible_to, runbook_progress
from incidents.services import incident_transition, incident_update
from incidents.services.communications import (
    communication_approve,
    communication_draft,
    communication_draft_from_template,
    communication_send,
    communication_update,
)
from incidents.services.drills import drill_record
from incidents.services.retrospectives import (
    remediation_create,
    remediation_update,
    retrospective_hold,
    retrospective_publish,
    retrospective_update,
)
from incidents.services.runbooks import runbook_start
from incidents.services.triage import incident_engage_security_lead, incident_triage
from incidents.triage import TriageAnswers, suggest_severity


class ResponseView(APIView):
    """Base view of the response routes, which turns service errors into 400 responses."""

    def handle_exception(self, exc):
        if isinstance(exc, DjangoValidationError):
            detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
            exc = ValidationError(detail)
        return super().handle_exception(exc)

    def actor(self) -> Actor:
        return Actor.for_user(self.request.user)

    def incident(self, key: str) -> Incident:
        return get_object_or_404(incidents_visible_to(self.request.user), key=key)

    def valid(self, serializer_class, **kwargs) -> dict:
        serializer = serializer_class(data=self.request.data, **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


def _answers(data: dict) -> TriageAnswers:
    return TriageAnswers(
        member_impact=data["member_impact"],
        data_exposure=data["data_exposure"],
        services_affected=data.get("services_affected", 0),
        api_p95_ms=data.get("api_p95_ms"),
        websocket_delivery_ms=data.get("websocket_delivery_ms"),
    )


@extend_schema(tags=["severity"])
class SeverityLevelList(ResponseView):
    permission_model = SeverityLevel

    @extend_schema(
        request=None,
        responses=s.SeverityLevelSerializer(many=True),
        summary="List the severity levels",
    )
    def get(self, request: Request) -> Response:
        levels = SeverityLevel.objects.all()
        return Response(s.SeverityLevelSerializer(levels, many=True).data)


@extend_schema(tags=["severity"])
class SeveritySuggestion(ResponseView):
    permission_model = SeverityLevel
    # A suggestion stores nothing, so it needs only view_severitylevel.
    required_permissions = {"POST": "incidents.view_severitylevel"}

    @extend_schema(
        request=s.TriageAnswersSerializer,
        responses=s.SeveritySuggestionSerializer,
        summary="Suggest a severity for triage answers",
    )
    def post(self, request: Request) -> Response:
        answers = _answers(self.valid(s.TriageAnswersSerializer))
        return Response(
            {"suggested_severity": suggest_severity(answers), "slo_breached": answers.slo_breached}
        )


@extend_schema(tags=["response"], parameters=[INCIDENT_KEY_PARAMETER])
class IncidentDocument(ResponseView):
    permission_model = Incident

    @extend_schema(
        request=None,
        responses=s.IncidentDocumentSerializer,
        summary="Get the incident document",
    )
    def get(self, request: Request, key: str) -> Response:
        return Response(incident_document(self.incident(key)))


@extend_schema(tags=["response"], parameters=[INCIDENT_KEY_PARAMETER])
class IncidentClocks(ResponseView):
    permission_model = Clock

    @extend_schema(
        request=None,
        responses=s.ClockSerializer(many=True),
        summary="List the incident's clocks",
    )
    def get(self, request: Request, key: str) -> Response:
        clocks = self.incident(key).clocks.order_by("kind")
        return Response(s.ClockSerializer(clocks, many=True).data)


@extend_schema(tags=["severity"], parameters=[INCIDENT_KEY_PARAMETER])
class IncidentTriage(ResponseView):
    permission_model = TriageAssessment
    # The admin's triage page needs change_incident.
    required_permissions = {"POST": "incidents.change_incident"}

    @extend_schema(
        request=None,
        responses=s.TriageAssessmentSerializer(many=True),
        summary="List the incident's triage assessments",
    )
    def get(self, request: Request, key: str) -> Response:
        assessments = self.incident(key).triage_assessments.select_related("decided_by")
        return Response(s.TriageAssessmentSerializer(assessments, many=True).data)

    @extend_schema(
        request=s.TriageInputSerializer,
        responses={201: s.TriageAssessmentSerializer},
        summary="Triage the incident",
    )
    def post(self, request: Request, key: str) -> Response:
        incident = self.incident(key)
        data = self.valid(s.TriageInputSerializer)
        assessment = incident_triage(
            incident=incident,
            actor=self.actor(),
            answers=_answers(data),
            severity=data.get("severity"),
            reason=data["reason"],
        )
        body = s.TriageAssessmentSerializer(assessment).data
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(tags=["response"], parameters=[INCIDENT_KEY_PARAMETER])
class IncidentRoles(ResponseView):
    permission_model = Incident

    @extend_schema(
        request=s.RolesSerializer,
        responses=s.RoleHoldersSerializer,
        summary="Assign the incident's roles",
    )
    def patch(self, request: Request, key: str) -> Response:
        incident = self.incident(key)
        roles = self.valid(s.RolesSerializer)
        incident = incident_update(incident=incident, actor=self.actor(), **roles)
        return Response(incident_document(incident)["roles"])


@extend_schema(tags=["response"], parameters=[INCIDENT_KEY_PARAMETER])
class SecurityEngagement(ResponseView):
    permission_model = Incident
    required_permissions = {"POST": "incidents.change_incident"}

    @extend_schema(
        request=None,
        responses=s.ClockSerializer(many=True),
        summary="Record that the security lead is engaged",
    )
    def post(self, request: Request, key: str) -> Response:
        incident = incident_engage_security_lead(incident=self.incident(key), actor=self.actor())
        return Response(s.ClockSerializer(incident.clocks.order_by("kind"), many=True).data)


@extend_schema(tags=["response"], parameters=[INCIDENT_KEY_PARAMETER])
class IncidentResolve(ResponseView):
    """Resolve an incident; `override_reason` resolves before the monitoring window ends."""

    permission_model = Incident
    required_permissions = {"POST": "incidents.change_incident"}

    @extend_schema(
        request=s.ResolveSerializer,
        responses=s.IncidentDocumentSerializer,
        summary="Resolve the incident",
    )
    def post(self, request: Request, key: str) -> Response:
        data = self.valid(s.ResolveSerializer)
        incident = incident_transition(
            incident=self.incident(key),
            actor=self.actor(),
            to_status=Status.RESOLVED,
            note=data["note"],
            override_reason=data["override_reason"],
        )
        return Response(incident_document(incident))


@extend_schema(tags=["runbooks"])
class RunbookList(ResponseView):
    permission_model = Runbook

    @extend_schema(
        request=None, responses=s.RunbookSerializer(many=True), summary="List the runbooks"
    )
    def get(self, request: Request) -> Response:
        return Response(s.RunbookSerializer(Runbook.objects.all(), many=True).data)


@extend_schema(tags=["runbooks"], parameters=[INCIDENT_KEY_PARAMETER])
class IncidentRunbooks(ResponseView):
    permission_model = IncidentRunbook
    # The admin starts runbooks with actions on incidents, which need change_incident.
    required_permissions = {"POST": "incidents.change_incident"}

    @extend_schema(
        request=None,
        responses=s.RunbookProgressSerializer(many=True),
        summary="List the incident's runbooks and their progress",
    )
    def get(self, request: Request, key: str) -> Response:
        incident = self.incident(key)
        uses = incident.runbooks.select_related("version__runbook")
        return Response([runbook_progress(use) for use in uses])

    @extend_schema(
        request=s.RunbookStartSerializer,
        responses={201: s.RunbookProgressSerializer},
        summary="Start a runbook on the incident",
    )
    def post(self, request: Request, key: str) -> Response:
        data = self.valid(s.RunbookStartSerializer)
        use = runbook_start(
            incident=self.incident(key), actor=self.actor(), runbook=data["runbook"]
        )
        return Response(runbook_progress(use), status=status.HTTP_201_CREATED)


@extend_schema(tags=["communications"])
class TemplateList(ResponseView):
    permission_model = CommunicationTemplate

    @extend_schema(
        request=None,
        responses=s.CommunicationTemplateSerializer(many=True),
        summary="List the active communication templates",
    )
    def get(self, request: Request) -> Response:
        templates = CommunicationTemplate.objects.filter(active=True)
        return Response(s.CommunicationTemplateSerializer(templates, many=True).data)


@extend_schema(tags=["communications"], parameters=[INCIDENT_KEY_PARAMETER])
class IncidentCommunications(ResponseView):
    permission_model = Communication

    @extend_schema(
        request=None,
        responses=s.CommunicationSerializer(many=True),
        summary="List the incident's communications",
    )
    def get(self, request: Request, key: str) -> Response:
        communications = self.incident(key).communications.select_related(
            "created_by", "approved_by", "template"
        )
        return Response(s.CommunicationSerializer(communications, many=True).data)

    @extend_schema(
        request=s.CommunicationDraftSerializer,
        responses={201: s.CommunicationSerializer},
        summary="Draft a communication",
    )
    def post(self, request: Request, key: str) -> Response:
        incident = self.incident(key)
        data = self.valid(s.CommunicationDraftSerializer)
        if "template" in data:
            communication = communication_draft_from_template(
                incident=incident, actor=self.actor(), template=data["template"]
            )
        else:
            communication = communication_draft(
                incident=incident,
                actor=self.actor(),
                audience=data["audience"],
                subject=data["subject"],
                body=data["body"],
            )
        body = s.CommunicationSerializer(communication).data
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(tags=["communications"], parameters=[INCIDENT_KEY_PARAMETER])
class CommunicationPreview(ResponseView):
    """Render a template, or a subject and body, with the incident's data; stores nothing."""

    permission_model = Communication
    required_permissions = {"POST": "incidents.view_communication"}

    @extend_schema(
        request=s.CommunicationPreviewSerializer,
        responses=s.RenderedCommunicationSerializer,
        summary="Preview a communication",
    )
    def post(self, request: Request, key: str) -> Response:
        incident = self.incident(key)
        data = self.valid(s.CommunicationPreviewSerializer)
        template = data.get("template")
        rendered = render_communication(
            subject=template.subject if template else data["subject"],
            body=template.body if template else data["body"],
            incident=incident,
        )
        return Response({"subject": rendered.subject, "text": rendered.text, "html": rendered.html})


def _visible_communications(user) -> QuerySet[Communication]:
    return Communication.objects.filter(incident__in=incidents_visible_to(user))


@extend_schema(tags=["communications"])
class CommunicationDetail(ResponseView):
    permission_model = Communication

    def get_object(self, pk: int) -> Communication:
        return get_object_or_404(_visible_communications(self.request.user), pk=pk)

    @extend_schema(request=None, responses=s.CommunicationSerializer, summary="Get a communication")
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.CommunicationSerializer(self.get_object(pk)).data)

    @extend_schema(
        request=s.CommunicationEditSerializer,
        responses=s.CommunicationSerializer,
        summary="Edit a communication draft",
    )
    def patch(self, request: Request, pk: int) -> Response:
        data = self.valid(s.CommunicationEditSerializer)
        communication = communication_update(
            communication=self.get_object(pk), actor=self.actor(), **data
        )
        return Response(s.CommunicationSerializer(communication).data)


@extend_schema(tags=["communications"])
class CommunicationApprove(CommunicationDetail):
    # NOTE: this URL also serves the GET and PATCH inherited from CommunicationDetail,
    # and the schema lists them. The same holds for CommunicationSend.
    required_permissions = {"POST": "incidents.change_communication"}

    @extend_schema(
        request=None, responses=s.CommunicationSerializer, summary="Approve a communication"
    )
    def post(self, request: Request, pk: int) -> Response:
        communication = communication_approve(communication=self.get_object(pk), actor=self.actor())
        return Response(s.CommunicationSerializer(communication).data)


@extend_schema(tags=["communications"])
class CommunicationSend(CommunicationDetail):
    required_permissions = {"POST": "incidents.change_communication"}

    @extend_schema(
        request=None, responses=s.CommunicationSerializer, summary="Send an approved communication"
    )
    def post(self, request: Request, pk: int) -> Response:
        communication = communication_send(communication=self.get_object(pk), actor=self.actor())
        return Response(s.CommunicationSerializer(communication).data)


@extend_schema(tags=["retrospectives"], parameters=[INCIDENT_KEY_PARAMETER])
class IncidentRetrospective(ResponseView):
    permission_model = Retrospective

    def get_object(self, key: str) -> Retrospective:
        return get_object_or_404(Retrospective, incident=self.incident(key))

    @extend_schema(
        request=None,
        responses=s.RetrospectiveSerializer,
        summary="Get the incident's retrospective",
    )
    def get(self, request: Request, key: str) -> Response:
        return Response(s.RetrospectiveSerializer(self.get_object(key)).data)

    @extend_schema(
        request=s.RetrospectiveSerializer,
        responses=s.RetrospectiveSerializer,
        summary="Edit the incident's retrospective",
    )
    def patch(self, request: Request, key: str) -> Response:
        retrospective = self.get_object(key)
        data = self.valid(s.RetrospectiveSerializer, partial=True)
        attendees = data.pop("attendees", None)
        retrospective = retrospective_update(
            retrospective=retrospective, actor=self.actor(), attendees=attendees, **data
        )
        return Response(s.RetrospectiveSerializer(retrospective).data)


@extend_schema(tags=["retrospectives"], parameters=[INCIDENT_KEY_PARAMETER])
class RetrospectiveHold(IncidentRetrospective):
    # NOTE: this URL also serves the GET and PATCH inherited from IncidentRetrospective,
    # and the schema lists them. The same holds for RetrospectivePublish.
    required_permissions = {"POST": "incidents.change_retrospective"}

    @extend_schema(
        request=None,
        responses=s.RetrospectiveSerializer,
        summary="Record that the retrospective was held",
    )
    def post(self, request: Request, key: str) -> Response:
        retrospective = retrospective_hold(retrospective=self.get_object(key), actor=self.actor())
        return Response(s.RetrospectiveSerializer(retrospective).data)


@extend_schema(tags=["retrospectives"], parameters=[INCIDENT_KEY_PARAMETER])
class RetrospectivePublish(IncidentRetrospective):
    required_permissions = {"POST": "incidents.change_retrospective"}

    @extend_schema(
        request=None,
        responses=s.RetrospectiveSerializer,
        summary="Publish the retrospective",
    )
    def post(self, request: Request, key: str) -> Response:
        retrospective = retrospective_publish(
            retrospective=self.get_object(key), actor=self.actor()
        )
        return Response(s.RetrospectiveSerializer(retrospective).data)


@extend_schema(tags=["retrospectives"], parameters=[INCIDENT_KEY_PARAMETER])
class IncidentRemediationTasks(ResponseView):
    permission_model = RemediationTask

    @extend_schema(
        request=None,
        responses=s.RemediationTaskSerializer(many=True),
        summary="List the incident's remediation tasks",
    )
    def get(self, request: Request, key: str) -> Response:
        tasks = self.incident(key).remediation_tasks.select_related("owner")
        return Response(s.RemediationTaskSerializer(tasks, many=True).data)

    @extend_schema(
        request=s.RemediationTaskSerializer,
        responses={201: s.RemediationTaskSerializer},
        summary="Add a remediation task",
    )
    def post(self, request: Request, key: str) -> Response:
        incident = self.incident(key)
        data = self.valid(s.RemediationTaskSerializer)
        task = remediation_create(incident=incident, actor=self.actor(), **data)
        body = s.RemediationTaskSerializer(task).data
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(tags=["retrospectives"])
class RemediationTaskDetail(ResponseView):
    permission_model = RemediationTask

    @extend_schema(
        request=s.RemediationTaskSerializer,
        responses=s.RemediationTaskSerializer,
        summary="Edit a remediation task",
    )
    def patch(self, request: Request, pk: int) -> Response:
        visible = RemediationTask.objects.filter(incident__in=incidents_visible_to(request.user))
        task = get_object_or_404(visible, pk=pk)
        data = self.valid(s.RemediationTaskSerializer, partial=True)
        task = remediation_update(task=task, actor=self.actor(), **data)
        return Response(s.RemediationTaskSerializer(task).data)


def _query_date(request: Request, name: str) -> date | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationError({name: [f"{raw!r} is not a YYYY-MM-DD date."]}) from None


METRICS_PARAMETERS = [
    OpenApiParameter(
        "since",
        OpenApiTypes.DATE,
        OpenApiParameter.QUERY,
        description="Count only incidents detected on or after this date (YYYY-MM-DD).",
    ),
    OpenApiParameter(
        "until",
        OpenApiTypes.DATE,
        OpenApiParameter.QUERY,
        description="Count only incidents detected on or before this date (YYYY-MM-DD).",
    ),
]


def _duration(value) -> float | None:
    return round(value.total_seconds() / 60, 1) if value is not None else None


@extend_schema(tags=["metrics"])
class Metrics(ResponseView):
    """MTTA and MTTR in minutes, per incident and per detection month and severity.

    `since` and `until` (YYYY-MM-DD, inclusive) limit the detection dates.
    """

    permission_model = Incident

    @extend_schema(
        parameters=METRICS_PARAMETERS,
        request=None,
        responses=s.MetricsSerializer,
        summary="Get MTTA and MTTR figures",
    )
    def get(self, request: Request) -> Response:
        incidents = incidents_visible_to(request.user)
        since = _query_date(request, "since")
        until = _query_date(request, "until")
        if since:
            incidents = incidents.filter(detected_at__date__gte=since)
        if until:
            incidents = incidents.filter(detected_at__date__lte=until)
        report = response_metrics(incidents)
        return Response(
            {
                "groups": [
                    {
                        "month": group.month.strftime("%Y-%m"),
                        "severity": group.severity,
                        "incidents": group.incidents,
                        "mtta_minutes": _duration(group.mean_time_to_acknowledge),
                        "mttr_minutes": _duration(group.mean_time_to_resolve),
                        "mttr_exceeded": group.mttr_exceeded,
                    }
                    for group in report.groups
                ],
                "flagged": [
                    {
                        "key": figures.key,
                        "severity": figures.severity,
                        "mttr_minutes": _duration(figures.time_to_resolve),
                    }
                    for figures in report.flagged
                ],
            }
        )


@extend_schema(tags=["drills"])
class DrillList(ResponseView):
    permission_model = Drill

    @extend_schema(request=None, responses=s.DrillSerializer(many=True), summary="List the drills")
    def get(self, request: Request) -> Response:
        drills = Drill.objects.select_related("incident").prefetch_related("participants")
        return Response(s.DrillSerializer(drills, many=True).data)

    @extend_schema(
        request=s.DrillSerializer, responses={201: s.DrillSerializer}, summary="Record a drill"
    )
    def post(self, request: Request) -> Response:
        data = self.valid(s.DrillSerializer)
        key = data.pop("incident_key", "")
        incident = self.incident(key) if key else None
        drill = drill_record(
            actor=self.actor(),
            incident=incident,
            participants=data.pop("participants", []),
            **data,
        )
        return Response(s.DrillSerializer(drill).data, status=status.HTTP_201_CREATED)


incident_routes = [
    ("document/", IncidentDocument, "incident-document"),
    ("clocks/", IncidentClocks, "incident-clocks"),
    ("triage/", IncidentTriage, "incident-triage"),
    ("roles/", IncidentRoles, "incident-roles"),
    ("security-engagement/", SecurityEngagement, "incident-security-engagement"),
    ("resolve/", IncidentResolve, "incident-resolve"),
    ("runbooks/", IncidentRunbooks, "incident-runbooks"),
    ("communications/", IncidentCommunications, "incident-communications"),
    ("communications/preview/", CommunicationPreview, "incident-communication-preview"),
    ("retrospective/", IncidentRetrospective, "incident-retrospective"),
    ("retrospective/hold/", RetrospectiveHold, "incident-retrospective-hold"),
    ("retrospective/publish/", RetrospectivePublish, "incident-retrospective-publish"),
    ("remediation-tasks/", IncidentRemediationTasks, "incident-remediation-tasks"),
]

urlpatterns = [
    *(
        path(f"incidents/<str:key>/{route}", view.as_view(), name=name)
        for route, view, name in incident_routes
    ),
    path("severity-levels/", SeverityLevelList.as_view(), name="severity-levels"),
    path("severity-levels/suggest/", SeveritySuggestion.as_view(), name="severity-suggestion"),
    path("runbooks/", RunbookList.as_view(), name="runbooks"),
    path("communication-templates/", TemplateList.as_view(), name="communication-templates"),
    path("communications/<int:pk>/", CommunicationDetail.as_view(), name="communication"),
    path(
        "communications/<int:pk>/approve/",
        CommunicationApprove.as_view(),
        name="communication-approve",
    ),
    path("communications/<int:pk>/send/", CommunicationSend.as_view(), name="communication-send"),
    path("remediation-tasks/<int:pk>/", RemediationTaskDetail.as_view(), name="remediation-task"),
    path("metrics/", Metrics.as_view(), name="response-metrics"),
    path("drills/", DrillList.as_view(), name="drills"),
]
