import django_filters

from incidents.choices import AlertSignal, AlertSource, Category, Severity, Status
from incidents.models import Alert, Incident


class IncidentFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Status.choices)
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    category = django_filters.ChoiceFilter(choices=Category.choices)
    private = django_filters.BooleanFilter()
    service = django_filters.CharFilter(
        field_name="affected_services__slug",
        distinct=True,
        help_text="Slug of an affected service.",
    )
    detected_after = django_filters.IsoDateTimeFilter(
        field_name="detected_at",
        lookup_expr="gte",
        help_text="Detected at or after this ISO 8601 time.",
    )
    detected_before = django_filters.IsoDateTimeFilter(
        field_name="detected_at",
        lookup_expr="lt",
        help_text="Detected before this ISO 8601 time.",
    )

    class Meta:
        model = Incident
        fields = [
            "status",
            "severity",
            "category",
            "private",
            "service",
            "detected_after",
            "detected_before",
        ]


class AlertFilter(django_filters.FilterSet):
    source = django_filters.ChoiceFilter(choices=AlertSource.choices)
    signal = django_filters.ChoiceFilter(choices=AlertSignal.choices)
    incident = django_filters.CharFilter(
        field_name="incident__key", help_text="Key of the incident, such as INC-2026-0001."
    )

    class Meta:
        model = Alert
        fields = ["source", "signal", "incident"]
