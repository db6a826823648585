from django.conf import settings
from django.db import models
from django.utils import timezone

from incidents.choices import DataExposure, MemberImpact, Severity
from incidents.models.history import audited_history


class SeverityLevel(models.Model):
    """One row of the severity matrix: what a level means and when triage suggests it.

    Triage suggests the most severe level any of whose criteria the answers meet. A blank
    criterion takes no part, so a level with no criteria is never suggested except as the
    fallback of the least severe level.
    """

    level = models.CharField(max_length=4, choices=Severity.choices, unique=True)
    name = models.CharField(max_length=100)
    definition = models.TextField()
    member_impact = models.CharField(
        max_length=20,
        choices=MemberImpact.choices,
        blank=True,
        help_text="Suggested when at least this many members are affected.",
    )
    data_exposure = models.CharField(
        max_length=20,
        choices=DataExposure.choices,
        blank=True,
        help_text="Suggested when member data exposure is at least this certain.",
    )
    slo_breach = models.BooleanField(
        default=False,
        help_text=(
            "Suggested when a platform SLO is breached: API p95 latency of 250 ms or more, "
            "or websocket delivery of 2 s or more."
        ),
    )
    min_services_affected = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Suggested when at least this many services are affected.",
    )
    response_expectations = models.TextField(
        blank=True, help_text="Who responds and how fast, shown to the triaging engineer."
    )

    history = audited_history()

    class Meta:
        ordering = ["level"]

    def __str__(self) -> str:
        return f"{self.level} {self.name}"


class TriageAssessment(models.Model):
    """The triage questions as answered, the level they suggested and the level chosen."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="triage_assessments"
    )
    member_impact = models.CharField(max_length=20, choices=MemberImpact.choices)
    data_exposure = models.CharField(max_length=20, choices=DataExposure.choices)
    api_p95_ms = models.PositiveIntegerField(
        null=True, blank=True, help_text="Observed API p95 latency in milliseconds."
    )
    websocket_delivery_ms = models.PositiveIntegerField(
        null=True, blank=True, help_text="Observed websocket delivery time in milliseconds."
    )
    services_affected = models.PositiveSmallIntegerField(default=0)
    suggested_severity = models.CharField(max_length=4, choices=Severity.choices)
    severity = models.CharField(
        max_length=4, choices=Severity.choices, help_text="The level the engineer set."
    )
    reason = models.TextField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_by_integration = models.CharField(max_length=64, blank=True)
    decided_at = models.DateTimeField(default=timezone.now)

    history = audited_history()

    class Meta:
        ordering = ["decided_at", "id"]

    def __str__(self) -> str:
        return f"{self.incident} triaged {self.severity}"
