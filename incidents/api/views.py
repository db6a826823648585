"""API views: parse the request, call a service as the requesting user, render the result."""

import uuid

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from incidents import severity_matrix
from incidents.actors import Actor
from incidents.api import serializers
from incidents.api.filters import AlertFilter, IncidentFilter
from incidents.api.pagination import (
    ActionCursorPagination,
    AlertCursorPagination,
    ChronologicalCursorPagination,
)
from incidents.choices import AlertSignal, AlertSource
from incidents.models import Action, Alert, Incident, TimelineEntry
from incidents.selectors import alerts_visible_to, incidents_visible_to
from incidents.services import (
    AlertInput,
    action_create,
    action_update,
    alert_ingest,
    incident_change_severity,
    incident_create,
    incident_transition,
    incident_update,
    timeline_add_note,
)

INCIDENT_KEY_PATTERN = r"INC-\d{4}-\d{4,}"
IDEMPOTENCY_HEADER = "Idempotency-Key"
# Alert.external_id has max_length 200, and the "user-<id>:" prefix takes at most 25.
IDEMPOTENCY_KEY_MAX_LENGTH = 150

INCIDENT_KEY_PARAMETER = OpenApiParameter(
    "key",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The incident key, such as INC-2026-0001.",
)


def _actor(request: Request) -> Actor:
    return Actor.for_user(request.user)


def _visible_incident(request: Request, key: str) -> Incident:
    return get_object_or_404(incidents_visible_to(request.user), key=key)


@extend_schema_view(
    create=extend_schema(
        request=serializers.IncidentCreateSerializer,
        responses={201: serializers.IncidentSerializer},
    ),
    partial_update=extend_schema(
        request=serializers.IncidentUpdateSerializer,
        responses=serializers.IncidentSerializer,
    ),
    transition=extend_schema(
        request=serializers.TransitionSerializer,
        responses=serializers.IncidentSerializer,
    ),
    severity=extend_schema(
        request=serializers.SeverityChangeSerializer,
        responses=serializers.IncidentSerializer,
    ),
)
class IncidentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Incidents visible to the requesting user, addressed by key."""

    serializer_class = serializers.IncidentSerializer
    filterset_class = IncidentFilter
    lookup_field = "key"
    lookup_value_regex = INCIDENT_KEY_PATTERN
    permission_model = Incident
    required_permissions = {
        "transition": "incidents.change_incident",
        "severity": "incidents.change_incident",
    }

    def get_queryset(self):
        return incidents_visible_to(self.request.user).prefetch_related("affected_services")

    def _respond(self, incident: Incident, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(incident).data, status=status_code)

    def create(self, request: Request) -> Response:
        payload = serializers.IncidentCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        fields = dict(payload.validated_data)
        services = fields.pop("affected_services")
        incident = incident_create(actor=_actor(request), services=services, **fields)
        return self._respond(incident, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, key: str) -> Response:
        incident = self.get_object()
        payload = serializers.IncidentUpdateSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        fields = dict(payload.validated_data)
        services = fields.pop("affected_services", None)
        incident = incident_update(
            incident=incident, actor=_actor(request), services=services, **fields
        )
        return self._respond(incident)

    @action(detail=True, methods=["post"])
    def transition(self, request: Request, key: str) -> Response:
        """Move the incident to another status, as the lifecycle allows."""
        incident = self.get_object()
        payload = serializers.TransitionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        incident = incident_transition(
            incident=incident,
            actor=_actor(request),
            to_status=payload.validated_data["status"],
            note=payload.validated_data["note"],
            override_reason=payload.validated_data["override_reason"],
        )
        return self._respond(incident)

    @action(detail=True, methods=["post"])
    def severity(self, request: Request, key: str) -> Response:
        """Set a new severity level and record the reason on the timeline."""
        incident = self.get_object()
        payload = serializers.SeverityChangeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        incident = incident_change_severity(
            incident=incident, actor=_actor(request), **payload.validated_data
        )
        return self._respond(incident)


@extend_schema(parameters=[INCIDENT_KEY_PARAMETER])
class IncidentTimelineView(GenericAPIView):
    """An incident's timeline, oldest first. Entries are append-only."""

    serializer_class = serializers.TimelineEntrySerializer
    pagination_class = ChronologicalCursorPagination
    queryset = TimelineEntry.objects.none()
    permission_model = TimelineEntry
    # The admin adds notes through the incident's note form, which needs change_incident.
    required_permissions = {"POST": "incidents.change_incident"}

    def get_queryset(self):
        incident = _visible_incident(self.request, self.kwargs["key"])
        return incident.timeline.select_related("actor_user")

    def get(self, request: Request, key: str) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=serializers.NoteSerializer,
        responses={201: serializers.TimelineEntrySerializer},
    )
    def post(self, request: Request, key: str) -> Response:
        """Add a note to the timeline."""
        incident = _visible_incident(request, key)
        payload = serializers.NoteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        entry = timeline_add_note(
            incident=incident, actor=_actor(request), text=payload.validated_data["text"]
        )
        return Response(self.get_serializer(entry).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(parameters=[INCIDENT_KEY_PARAMETER]),
    retrieve=extend_schema(parameters=[INCIDENT_KEY_PARAMETER]),
    create=extend_schema(
        parameters=[INCIDENT_KEY_PARAMETER],
        request=serializers.ActionCreateSerializer,
        responses={201: serializers.ActionSerializer},
    ),
    partial_update=extend_schema(
        parameters=[INCIDENT_KEY_PARAMETER],
        request=serializers.ActionUpdateSerializer,
        responses=serializers.ActionSerializer,
    ),
)
class IncidentActionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Containment, eradication and recovery actions of one incident."""

    serializer_class = serializers.ActionSerializer
    pagination_class = ActionCursorPagination
    queryset = Action.objects.none()
    permission_model = Action

    def get_incident(self) -> Incident:
        if not hasattr(self, "_incident"):
            self._incident = _visible_incident(self.request, self.kwargs["key"])
        return self._incident

    def get_queryset(self):
        return self.get_incident().actions.select_related("incident")

    def create(self, request: Request, key: str) -> Response:
        incident = self.get_incident()
        payload = serializers.ActionCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        created = action_create(incident=incident, actor=_actor(request), **payload.validated_data)
        return Response(self.get_serializer(created).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, key: str, pk: str) -> Response:
        existing = self.get_object()
        payload = serializers.ActionUpdateSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        updated = action_update(action=existing, actor=_actor(request), **payload.validated_data)
        return Response(self.get_serializer(updated).data)


class AlertViewSet(viewsets.ReadOnlyModelViewSet):
    """Alerts as they were received. Alerts arrive through webhooks and manual reports."""

    serializer_class = serializers.AlertSerializer
    pagination_class = AlertCursorPagination
    filterset_class = AlertFilter
    permission_model = Alert

    def get_queryset(self):
        return alerts_visible_to(self.request.user).select_related("incident")


class ManualReportView(GenericAPIView):
    """Report an incident as a person or a tool, through the same intake as the monitors."""

    serializer_class = serializers.ManualReportSerializer
    # Every authenticated user may file a report, staff or not, as any monitor may post
    # to a webhook, so no model permission applies.
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description=(
                    "A client-chosen id, at most 150 characters. A repeat with the same "
                    "key from the same user stores nothing new and returns the first report."
                ),
            )
        ],
        request=serializers.ManualReportSerializer,
        responses={
            200: serializers.ManualReportResultSerializer,
            201: serializers.ManualReportResultSerializer,
        },
    )
    def post(self, request: Request) -> Response:
        external_id = self._external_id(request)
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        report = payload.validated_data

        suggestion = severity_matrix.suggest_for_manual(report["category"], report["severity"])
        service_slugs = tuple(service.slug for service in report["affected_services"])
        occurred_at = report["occurred_at"]
        alert_input = AlertInput(
            source=AlertSource.MANUAL,
            external_id=external_id,
            dedup_key=report["reference"] or external_id,
            signal=AlertSignal.TRIGGER,
            title=report["title"],
            summary=report["summary"],
            category=suggestion.category,
            severity=suggestion.severity,
            occurred_at=occurred_at,
            service_slugs=service_slugs,
            payload={
                "reported_by": request.user.get_username(),
                "title": report["title"],
                "summary": report["summary"],
                "category": report["category"],
                "severity": report["severity"],
                "reference": report["reference"],
                "affected_services": list(service_slugs),
                "occurred_at": occurred_at.isoformat() if occurred_at else None,
            },
        )
        result = alert_ingest(alert_input, actor=_actor(request))

        body = serializers.ManualReportResultSerializer(
            {
                "alert": result.alert,
                "incident": result.incident.key if result.incident else None,
                "duplicate": result.duplicate,
                "opened_incident": result.opened_incident,
            }
        ).data
        status_code = status.HTTP_200_OK if result.duplicate else status.HTTP_201_CREATED
        return Response(body, status=status_code)

    @staticmethod
    def _external_id(request: Request) -> str:
        """Build the alert's external id from the requesting user's id and the client's key.

        The user's id scopes each key to its client, so two tools that both send key
        "1" file two reports. Without a key, every request is a new report.
        """
        supplied = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
        if not supplied:
            supplied = str(uuid.uuid4())
        elif len(supplied) > IDEMPOTENCY_KEY_MAX_LENGTH:
            raise ValidationError(
                {
                    IDEMPOTENCY_HEADER: (
                        f"{IDEMPOTENCY_HEADER} {supplied[:20]!r}… is {len(supplied)} "
                        f"characters long: use at most {IDEMPOTENCY_KEY_MAX_LENGTH}."
                    )
                }
            )
        return f"user-{request.user.pk}:{supplied}"
