"""Request and response shapes. Input is parsed here, and every rule lives in the services."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incidents import lifecycle
from incidents.choices import Category, Severity
from incidents.models import Action, Alert, Incident, Service, TimelineEntry

User = get_user_model()

# Fields that a client may send but that have their own route.
OWN_ROUTES = {
    "status": "change it with POST .../transition/",
    "severity": "change it with POST .../severity/",
}


class StrictInputMixin:
    """Reject fields this serializer does not accept, instead of ignoring them silently."""

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data.keys()) - writable)
            if unknown:
                errors = {}
                for name in unknown:
                    hint = OWN_ROUTES.get(name, "remove it from the request")
                    errors[name] = [f"{name} cannot be set here: {hint}."]
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class StrictInputSerializer(StrictInputMixin, serializers.Serializer):
    pass


def _active_users():
    return User.objects.filter(is_active=True)


def _user_field() -> serializers.PrimaryKeyRelatedField:
    return serializers.PrimaryKeyRelatedField(
        queryset=_active_users(), allow_null=True, required=False
    )


def _service_slugs_field(**kwargs) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        many=True, slug_field="slug", queryset=Service.objects.all(), **kwargs
    )


def _seconds(duration) -> float | None:
    if duration is None:
        return None
    return duration.total_seconds()


class IncidentSerializer(serializers.ModelSerializer):
    affected_services = serializers.SlugRelatedField(many=True, slug_field="slug", read_only=True)
    time_to_acknowledge_seconds = serializers.SerializerMethodField(
        help_text="MTTA of this incident: detection to acknowledgement, in seconds."
    )
    time_to_resolve_seconds = serializers.SerializerMethodField(
        help_text="MTTR of this incident: detection to resolution, in seconds."
    )
    allowed_transitions = serializers.SerializerMethodField(
        help_text="The statuses that POST .../transition/ accepts next."
    )

    class Meta:
        model = Incident
        fields = [
            "key",
            "title",
            "summary",
            "category",
            "severity",
            "status",
            "allowed_transitions",
            "private",
            "affected_services",
            "commander",
            "security_lead",
            "detected_at",
            "acknowledged_at",
            "mitigated_at",
            "resolved_at",
            "closed_at",
            "time_to_acknowledge_seconds",
            "time_to_resolve_seconds",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_time_to_acknowledge_seconds(self, incident: Incident) -> float | None:
        return _seconds(incident.time_to_acknowledge)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_transitions(self, incident: Incident) -> list[str]:
        return list(lifecycle.allowed_targets(incident.status))

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_time_to_resolve_seconds(self, incident: Incident) -> float | None:
        return _seconds(incident.time_to_resolve)


class IncidentCreateSerializer(StrictInputSerializer):
    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    category = serializers.ChoiceField(choices=Category.choices)
    severity = serializers.ChoiceField(choices=Severity.choices)
    private = serializers.BooleanField(required=False, default=False)
    commander = _user_field()
    security_lead = _user_field()
    affected_services = _service_slugs_field(required=False, default=list)
    detected_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class IncidentUpdateSerializer(StrictInputSerializer):
    """A partial update: only the fields sent are changed."""

    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(allow_blank=True)
    category = serializers.ChoiceField(choices=Category.choices)
    private = serializers.BooleanField()
    commander = _user_field()
    security_lead = _user_field()
    affected_services = _service_slugs_field()


class TransitionSerializer(StrictInputSerializer):
    status = serializers.CharField(help_text="The target status.")
    note = serializers.CharField(required=False, allow_blank=True, default="")
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Needed to resolve before 24 hours of monitoring have passed.",
    )


class SeverityChangeSerializer(StrictInputSerializer):
    severity = serializers.CharField(help_text="The new severity level, such as SEV1.")
    reason = serializers.CharField(allow_blank=True, help_text="Why the level changes.")


class TimelineEntrySerializer(serializers.ModelSerializer):
    actor = serializers.CharField(
        source="actor_label",
        read_only=True,
        help_text="Username of the person, or name of the integration.",
    )

    class Meta:
        model = TimelineEntry
        fields = ["id", "kind", "occurred_at", "actor", "text", "data"]
        read_only_fields = fields


class NoteSerializer(StrictInputSerializer):
    text = serializers.CharField(allow_blank=True)


class ActionSerializer(serializers.ModelSerializer):
    incident = serializers.SlugRelatedField(slug_field="key", read_only=True)

    class Meta:
        model = Action
        fields = [
            "id",
            "incident",
            "title",
            "description",
            "kind",
            "owner",
            "status",
            "due_at",
            "done_at",
            "created_at",
        ]
        read_only_fields = fields


class ActionCreateSerializer(StrictInputSerializer):
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    kind = serializers.ChoiceField(choices=Action._meta.get_field("kind").choices, required=False)
    owner = _user_field()
    due_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class ActionUpdateSerializer(StrictInputSerializer):
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(allow_blank=True)
    kind = serializers.ChoiceField(choices=Action._meta.get_field("kind").choices)
    owner = _user_field()
    status = serializers.ChoiceField(choices=Action._meta.get_field("status").choices)
    due_at = serializers.DateTimeField(allow_null=True)


class AlertSerializer(serializers.ModelSerializer):
    incident = serializers.SlugRelatedField(slug_field="key", read_only=True)

    class Meta:
        model = Alert
        fields = [
            "id",
            "source",
            "external_id",
            "dedup_key",
            "signal",
            "received_at",
            "occurred_at",
            "title",
            "summary",
            "suggested_category",
            "suggested_severity",
            "payload",
            "incident",
        ]
        read_only_fields = fields


class ManualReportSerializer(StrictInputSerializer):
    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    category = serializers.ChoiceField(choices=Category.choices)
    severity = serializers.ChoiceField(choices=Severity.choices)
    reference = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=300,
        help_text=(
            "The reporter's own id for the problem. Reports with the same reference "
            "join one open incident."
        ),
    )
    affected_services = _service_slugs_field(required=False, default=list)
    occurred_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class ManualReportResultSerializer(serializers.Serializer):
    alert = AlertSerializer()
    incident = serializers.CharField(allow_null=True, help_text="Key of the incident.")
    duplicate = serializers.BooleanField(
        help_text="True when this Idempotency-Key was already reported: nothing new was stored."
    )
    opened_incident = serializers.BooleanField()
