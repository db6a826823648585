from datetime import UTC

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField

from incidents.choices import AlertSignal, AlertSource, Category, Severity, Status
from incidents.models import Alert, Incident


class StorableIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 time whose UTC form lies within years 1 to 9999, as the database needs."""

    def clean(self, value):
        value = super().clean(value)
        if value is not None:
            try:
                value.astimezone(UTC)
            except OverflowError:
                raise forms.ValidationError(
                    "Enter a time within years 1 to 9999 in UTC.", code="overflow"
                ) from None
        return value


class StorableIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = StorableIsoDateTimeField


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
    detected_after = StorableIsoDateTimeFilter(
        field_name="detected_at",
        lookup_expr="gte",
        help_text="Detected at or after this ISO 8601 time.",
    )
    detected_before = StorableIsoDateTimeFilter(
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
