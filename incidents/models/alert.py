from django.db import models
from django.utils import timezone

from incidents.choices import AlertSignal, AlertSource, Category, Severity
from incidents.models.history import audited_history


class Alert(models.Model):
    """A raw signal from a monitor, a scanner or a person, as it was received."""

    source = models.CharField(max_length=20, choices=AlertSource.choices)
    external_id = models.CharField(
        max_length=200, help_text="The delivery's own id: a redelivery carries the same one."
    )
    dedup_key = models.CharField(
        max_length=300,
        help_text="Groups alerts about one alarm, rule or ticket onto one open incident.",
    )
    signal = models.CharField(max_length=20, choices=AlertSignal.choices)
    received_at = models.DateTimeField(default=timezone.now)
    occurred_at = models.DateTimeField(null=True, blank=True)
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    suggested_category = models.CharField(max_length=20, choices=Category.choices, blank=True)
    suggested_severity = models.CharField(max_length=4, choices=Severity.choices, blank=True)
    payload = models.JSONField(help_text="The delivery's body as received.")
    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="alerts",
    )

    history = audited_history()

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="alert_unique_delivery_per_source"
            ),
        ]
        indexes = [models.Index(fields=["source", "dedup_key"])]

    def __str__(self) -> str:
        return f"{self.get_source_display()}: {self.title}"
