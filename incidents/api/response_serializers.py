"""Serializers for the response API: input checks are field shapes; rules stay in services."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incidents.api.serializers import StrictInputMixin
from incidents.choices import (
    ActionKind,
    ActionStatus,
    Category,
    ClockKind,
    ClockState,
    DataExposure,
    MemberImpact,
    RetrospectiveStatus,
    RunbookRole,
    Severity,
    Status,
)
from incidents.models import (
    Clock,
    Communication,
    CommunicationTemplate,
    Drill,
    RemediationStatus,
    RemediationTask,
    Retrospective,
    Runbook,
    SeverityLevel,
    TriageAssessment,
)
from incidents.models.followup import Audience


def user_field(**kwargs) -> serializers.SlugRelatedField:
    """Return a field that takes and shows a user by username."""
    return serializers.SlugRelatedField(
        slug_field="username", queryset=get_user_model().objects.filter(is_active=True), **kwargs
    )


class SeverityLevelSerializer(serializers.ModelSerializer):
    class Meta:
        model = SeverityLevel
        fields = [
            "level",
            "name",
            "definition",
            "member_impact",
            "data_exposure",
            "slo_breach",
            "min_services_affected",
            "response_expectations",
        ]


class TriageAnswersSerializer(serializers.Serializer):
    member_impact = serializers.ChoiceField(choices=MemberImpact.choices)
    data_exposure = serializers.ChoiceField(choices=DataExposure.choices)
    services_affected = serializers.IntegerField(min_value=0, default=0)
    api_p95_ms = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    websocket_delivery_ms = serializers.IntegerField(min_value=0, required=False, allow_null=True)


class TriageInputSerializer(StrictInputMixin, TriageAnswersSerializer):
    severity = serializers.ChoiceField(
        choices=Severity.choices, required=False, help_text="Empty to take the suggestion."
    )
    reason = serializers.CharField()


class TriageAssessmentSerializer(serializers.ModelSerializer):
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = TriageAssessment
        fields = [
            "id",
            "member_impact",
            "data_exposure",
            "api_p95_ms",
            "websocket_delivery_ms",
            "services_affected",
            "suggested_severity",
            "severity",
            "reason",
            "decided_by",
            "decided_by_integration",
            "decided_at",
        ]


class RolesSerializer(StrictInputMixin, serializers.Serializer):
    commander = user_field(required=False, allow_null=True)
    security_lead = user_field(required=False, allow_null=True)
    communications_lead = user_field(required=False, allow_null=True)
    scribe = user_field(required=False, allow_null=True)


class ClockSerializer(serializers.ModelSerializer):
    state = serializers.CharField(read_only=True)

    class Meta:
        model = Clock
        fields = [
            "kind",
            "state",
            "started_at",
            "due_at",
            "remind_at",
            "reminded_at",
            "reminder_count",
            "met_at",
            "breached_at",
            "breach_count",
            "stopped_at",
            "stop_reason",
        ]


class RunbookStepSerializer(serializers.Serializer):
    section = serializers.CharField()
    text = serializers.CharField()
    kind = serializers.ChoiceField(choices=ActionKind.choices)
    role = serializers.ChoiceField(choices=RunbookRole.choices)


class RunbookSerializer(serializers.ModelSerializer):
    version = serializers.SerializerMethodField()
    purpose = serializers.SerializerMethodField()
    steps = serializers.SerializerMethodField()

    class Meta:
        model = Runbook
        fields = ["slug", "title", "version", "purpose", "steps"]

    def get_version(self, runbook) -> int | None:
        version = runbook.current_version
        return version.number if version else None

    def get_purpose(self, runbook) -> str:
        version = runbook.current_version
        return version.purpose if version else ""

    @extend_schema_field(RunbookStepSerializer(many=True))
    def get_steps(self, runbook) -> list[dict]:
        version = runbook.current_version
        if version is None:
            return []
        return [
            {"section": step.section, "text": step.text, "kind": step.kind, "role": step.role}
            for step in version.steps.all()
        ]


class RunbookStartSerializer(StrictInputMixin, serializers.Serializer):
    runbook = serializers.SlugRelatedField(slug_field="slug", queryset=Runbook.objects.all())


class CommunicationTemplateSerializer(serializers.ModelSerializer):
    class Meta:
        model = CommunicationTemplate
        fields = ["slug", "name", "audience", "category", "subject", "body", "active"]


class CommunicationSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    approved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    template = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Communication
        fields = [
            "id",
            "audience",
            "subject",
            "body",
            "status",
            "template",
            "created_by",
            "approved_by",
            "approved_at",
            "sent_at",
            "recipients",
            "created_at",
        ]


class CommunicationDraftSerializer(StrictInputMixin, serializers.Serializer):
    """Either a template to render, or an audience with its own subject and body."""

    template = serializers.SlugRelatedField(
        slug_field="slug", queryset=CommunicationTemplate.objects.all(), required=False
    )
    audience = serializers.ChoiceField(choices=Audience.choices, required=False)
    subject = serializers.CharField(required=False)
    body = serializers.CharField(required=False)

    required_without_template = ("audience", "subject", "body")

    def validate(self, data):
        if "template" in data:
            return data
        missing = {
            name: "Give this field, or a template."
            for name in self.required_without_template
            if not data.get(name)
        }
        if missing:
            raise serializers.ValidationError(missing)
        return data


class CommunicationPreviewSerializer(CommunicationDraftSerializer):
    """Either a template, or a subject and body to render."""

    required_without_template = ("subject", "body")


class CommunicationEditSerializer(StrictInputMixin, serializers.Serializer):
    subject = serializers.CharField(required=False)
    body = serializers.CharField(required=False)


class ResolveSerializer(StrictInputMixin, serializers.Serializer):
    override_reason = serializers.CharField(required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class RetrospectiveSerializer(StrictInputMixin, serializers.ModelSerializer):
    facilitator = user_field(required=False, allow_null=True)
    attendees = user_field(many=True, required=False)

    class Meta:
        model = Retrospective
        fields = [
            "status",
            "due_date",
            "meeting_at",
            "facilitator",
            "attendees",
            "summary",
            "impact",
            "contributing_factors",
            "went_well",
            "went_poorly",
            "lessons",
            "held_at",
            "published_at",
        ]
        read_only_fields = ["status", "due_date", "held_at", "published_at"]


class RemediationTaskSerializer(StrictInputMixin, serializers.ModelSerializer):
    owner = user_field(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=RemediationStatus.choices, required=False)

    class Meta:
        model = RemediationTask
        fields = ["id", "title", "description", "owner", "due_date", "status", "tracker_key"]


class DrillSerializer(StrictInputMixin, serializers.ModelSerializer):
    participants = user_field(many=True, required=False)
    incident = serializers.SlugRelatedField(
        slug_field="key", required=False, allow_null=True, read_only=True
    )
    incident_key = serializers.CharField(write_only=True, required=False, allow_blank=True)

    class Meta:
        model = Drill
        fields = [
            "id",
            "scenario",
            "held_on",
            "participants",
            "findings",
            "follow_ups",
            "incident",
            "incident_key",
        ]


# Response bodies that the views build as dicts. These serializers only describe
# those bodies in the OpenAPI schema, and no view serializes through them.


class SeveritySuggestionSerializer(serializers.Serializer):
    suggested_severity = serializers.ChoiceField(choices=Severity.choices)
    slo_breached = serializers.BooleanField()


class RoleHoldersSerializer(serializers.Serializer):
    """Usernames of the incident's role holders, an empty string where a role is unassigned."""

    commander = serializers.CharField()
    security_lead = serializers.CharField()
    communications_lead = serializers.CharField()
    scribe = serializers.CharField()


class RunbookProgressSerializer(serializers.Serializer):
    runbook = serializers.SlugField(help_text="The runbook's slug.")
    title = serializers.CharField()
    version = serializers.IntegerField()
    done = serializers.IntegerField(help_text="Steps whose actions are done or cancelled.")
    total = serializers.IntegerField()


class DocumentUpdateSerializer(serializers.Serializer):
    audience = serializers.ChoiceField(choices=Audience.choices)
    subject = serializers.CharField()
    sent_at = serializers.DateTimeField()


class DocumentClockSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ClockKind.choices)
    label = serializers.CharField()
    state = serializers.ChoiceField(choices=ClockState.choices)
    due_at = serializers.DateTimeField()
    met_at = serializers.DateTimeField(allow_null=True)
    breached_at = serializers.DateTimeField(allow_null=True)
    breach_count = serializers.IntegerField()


class DocumentActionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=ActionKind.choices)
    status = serializers.ChoiceField(choices=ActionStatus.choices)
    owner = serializers.CharField(help_text="The owner's username, or an empty string.")
    due_at = serializers.DateTimeField(allow_null=True)


class DocumentRetrospectiveSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=RetrospectiveStatus.choices)
    due_date = serializers.DateField()


class IncidentDocumentSerializer(serializers.Serializer):
    """The incident's living record: status, roles, clocks, open actions, runbooks."""

    key = serializers.CharField()
    title = serializers.CharField()
    summary = serializers.CharField()
    severity = serializers.ChoiceField(choices=Severity.choices)
    category = serializers.ChoiceField(choices=Category.choices)
    status = serializers.ChoiceField(choices=Status.choices)
    is_drill = serializers.BooleanField()
    detected_at = serializers.DateTimeField()
    roles = RoleHoldersSerializer()
    next_update_due_at = serializers.DateTimeField(
        allow_null=True, help_text="When the running or breached update clock is due."
    )
    last_update = DocumentUpdateSerializer(
        allow_null=True, help_text="The latest sent communication."
    )
    clocks = DocumentClockSerializer(many=True)
    open_actions = DocumentActionSerializer(many=True)
    runbooks = RunbookProgressSerializer(many=True)
    retrospective = DocumentRetrospectiveSerializer(allow_null=True)
    closure_problems = serializers.ListField(
        child=serializers.CharField(),
        help_text="Conditions that keep a resolved incident from closing. Empty unless resolved.",
    )


class RenderedCommunicationSerializer(serializers.Serializer):
    subject = serializers.CharField()
    text = serializers.CharField()
    html = serializers.CharField()


class MetricsGroupSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="The detection month, as YYYY-MM.")
    severity = serializers.ChoiceField(choices=Severity.choices)
    incidents = serializers.IntegerField()
    mtta_minutes = serializers.FloatField(allow_null=True)
    mttr_minutes = serializers.FloatField(allow_null=True)
    mttr_exceeded = serializers.IntegerField(
        help_text="Incidents in the group that took longer than the MTTR target to resolve."
    )


class FlaggedIncidentSerializer(serializers.Serializer):
    key = serializers.CharField()
    severity = serializers.ChoiceField(choices=Severity.choices)
    mttr_minutes = serializers.FloatField(allow_null=True)


class MetricsSerializer(serializers.Serializer):
    groups = MetricsGroupSerializer(many=True)
    flagged = FlaggedIncidentSerializer(
        many=True, help_text="SEV0 to SEV2 incidents that took longer than the MTTR target."
    )
