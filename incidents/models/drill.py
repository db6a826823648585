from django.conf import settings
from django.db import models
from django.utils import timezone

from incidents.models.history import audited_history


class Drill(models.Model):
    """A rehearsal of the response process on a made-up scenario."""

    scenario = models.CharField(max_length=300)
    held_on = models.DateField()
    participants = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    findings = models.TextField(blank=True)
    follow_ups = models.TextField(blank=True)
    incident = models.OneToOneField(
        "incidents.Incident",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="drill",
        help_text="The incident opened for the rehearsal; it is marked as a drill.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = audited_history(m2m_fields=[participants])

    class Meta:
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.held_on}: {self.scenario}"


class DrillReminder(models.Model):
    """A reminder that no drill was held for a month, sent at most once per month."""

    month = models.DateField(unique=True, help_text="The first day of the month it was sent in.")
    last_drill_on = models.DateField(null=True, blank=True)
    sent_at = models.DateTimeField(default=timezone.now)
    recipients = models.JSONField(default=list, blank=True)

    history = audited_history()

    class Meta:
        ordering = ["-month"]

    def __str__(self) -> str:
        return f"Drill reminder {self.month:%Y-%m}"
