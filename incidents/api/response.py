"""The response API: triage, roles, runbooks, clocks, communications, retrospectives.

Every view reads incidents through `incidents_visible_to` and writes through the
services, acting as the requesting user. A service's ValidationError becomes a 400
response with the same field names and messages.
"""

from datetime import date

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import path
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents.actors import Actor
from incidents.api import response_serializers as s
from incidents.choices import Status
from incidents.communications import render_communication
from incidents.metrics import response_metrics
from incidents.models import (
    Communication,
    CommunicationTemplate,
    Drill,
    Incident,
    RemediationTask,
    Retrospective,
    Runbook,
    SeverityLevel,
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
    """Staff only, like the incident selector; service errors become 400 responses."""

    permission_classes = [IsAdminUser]

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


class SeverityLevelList(ResponseView):
    def get(self, request: Request) -> Response:
        levels = SeverityLevel.objects.all()
        return Response(s.SeverityLevelSerializer(levels, many=True).data)


class SeveritySuggestion(ResponseView):
    def post(self, request: Request) -> Response:
        answers = _answers(self.valid(s.TriageAnswersSerializer))
        return Response(
            {"suggested_severity": suggest_severity(answers), "slo_breached": answers.slo_breached}
        )


class IncidentDocument(ResponseView):
    def get(self, request: Request, key: str) -> Response:
        return Response(incident_document(self.incident(key)))


class IncidentClocks(ResponseView):
    def get(self, request: Request, key: str) -> Response:
        clocks = self.incident(key).clocks.order_by("kind")
        return Response(s.ClockSerializer(clocks, many=True).data)


class IncidentTriage(ResponseView):
    def get(self, request: Request, key: str) -> Response:
        assessments = self.incident(key).triage_assessments.select_related("decided_by")
        return Response(s.TriageAssessmentSerializer(assessments, many=True).data)

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


class IncidentRoles(ResponseView):
    def patch(self, request: Request, key: str) -> Response:
        incident = self.incident(key)
        roles = self.valid(s.RolesSerializer)
        incident = incident_update(incident=incident, actor=self.actor(), **roles)
        return Response(incident_document(incident)["roles"])


class SecurityEngagement(ResponseView):
    def post(self, request: Request, key: str) -> Response:
        incident = incident_engage_security_lead(incident=self.incident(key), actor=self.actor())
        return Response(s.ClockSerializer(incident.clocks.order_by("kind"), many=True).data)


class IncidentResolve(ResponseView):
    """Resolve an incident; `override_reason` resolves before the monitoring window ends."""

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


class RunbookList(ResponseView):
    def get(self, request: Request) -> Response:
        return Response(s.RunbookSerializer(Runbook.objects.all(), many=True).data)


class IncidentRunbooks(ResponseView):
    def get(self, request: Request, key: str) -> Response:
        incident = self.incident(key)
        uses = incident.runbooks.select_related("version__runbook")
        return Response([runbook_progress(use) for use in uses])

    def post(self, request: Request, key: str) -> Response:
        data = self.valid(s.RunbookStartSerializer)
        use = runbook_start(
            incident=self.incident(key), actor=self.actor(), runbook=data["runbook"]
        )
        return Response(runbook_progress(use), status=status.HTTP_201_CREATED)


class TemplateList(ResponseView):
    def get(self, request: Request) -> Response:
        templates = CommunicationTemplate.objects.filter(active=True)
        return Response(s.CommunicationTemplateSerializer(templates, many=True).data)


class IncidentCommunications(ResponseView):
    def get(self, request: Request, key: str) -> Response:
        communications = self.incident(key).communications.select_related(
            "created_by", "approved_by", "template"
        )
        return Response(s.CommunicationSerializer(communications, many=True).data)

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


class CommunicationPreview(ResponseView):
    """Render a template, or a subject and body, with the incident's data; stores nothing."""

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


class CommunicationDetail(ResponseView):
    def get_object(self, pk: int) -> Communication:
        return get_object_or_404(_visible_communications(self.request.user), pk=pk)

    def get(self, request: Request, pk: int) -> Response:
        return Response(s.CommunicationSerializer(self.get_object(pk)).data)

    def patch(self, request: Request, pk: int) -> Response:
        data = self.valid(s.CommunicationEditSerializer)
        communication = communication_update(
            communication=self.get_object(pk), actor=self.actor(), **data
        )
        return Response(s.CommunicationSerializer(communication).data)


class CommunicationApprove(CommunicationDetail):
    def post(self, request: Request, pk: int) -> Response:
        communication = communication_approve(communication=self.get_object(pk), actor=self.actor())
        return Response(s.CommunicationSerializer(communication).data)


class CommunicationSend(CommunicationDetail):
    def post(self, request: Request, pk: int) -> Response:
        communication = communication_send(communication=self.get_object(pk), actor=self.actor())
        return Response(s.CommunicationSerializer(communication).data)


class IncidentRetrospective(ResponseView):
    def get_object(self, key: str) -> Retrospective:
        return get_object_or_404(Retrospective, incident=self.incident(key))

    def get(self, request: Request, key: str) -> Response:
        return Response(s.RetrospectiveSerializer(self.get_object(key)).data)

    def patch(self, request: Request, key: str) -> Response:
        retrospective = self.get_object(key)
        data = self.valid(s.RetrospectiveSerializer, partial=True)
        attendees = data.pop("attendees", None)
        retrospective = retrospective_update(
            retrospective=retrospective, actor=self.actor(), attendees=attendees, **data
        )
        return Response(s.RetrospectiveSerializer(retrospective).data)


class RetrospectiveHold(IncidentRetrospective):
    def post(self, request: Request, key: str) -> Response:
        retrospective = retrospective_hold(retrospective=self.get_object(key), actor=self.actor())
        return Response(s.RetrospectiveSerializer(retrospective).data)


class RetrospectivePublish(IncidentRetrospective):
    def post(self, request: Request, key: str) -> Response:
        retrospective = retrospective_publish(
            retrospective=self.get_object(key), actor=self.actor()
        )
        return Response(s.RetrospectiveSerializer(retrospective).data)


class IncidentRemediationTasks(ResponseView):
    def get(self, request: Request, key: str) -> Response:
        tasks = self.incident(key).remediation_tasks.select_related("owner")
        return Response(s.RemediationTaskSerializer(tasks, many=True).data)

    def post(self, request: Request, key: str) -> Response:
        incident = self.incident(key)
        data = self.valid(s.RemediationTaskSerializer)
        data.pop("status", None)
        task = remediation_create(incident=incident, actor=self.actor(), **data)
        body = s.RemediationTaskSerializer(task).data
        return Response(body, status=status.HTTP_201_CREATED)


class RemediationTaskDetail(ResponseView):
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


def _duration(value) -> float | None:
    return round(value.total_seconds() / 60, 1) if value is not None else None


class Metrics(ResponseView):
    """MTTA and MTTR in minutes, per incident and per detection month and severity.

    `since` and `until` (YYYY-MM-DD, inclusive) limit the detection dates.
    """

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


class DrillList(ResponseView):
    def get(self, request: Request) -> Response:
        drills = Drill.objects.select_related("incident").prefetch_related("participants")
        return Response(s.DrillSerializer(drills, many=True).data)

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
