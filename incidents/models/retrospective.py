from django.conf import settings
from django.db import models
from django.utils import timezone

from incidents.choices import RetrospectiveStatus
from incidents.models.history import audited_history


class Retrospective(models.Model):
    """The blameless review of a resolved incident: scheduled, held, then published."""

    incident = models.OneToOneField(
        "incidents.Incident", on_delete=models.CASCADE, related_name="retrospective"
    )
    status = models.CharField(
        max_length=20,
        choices=RetrospectiveStatus.choices,
        default=RetrospectiveStatus.SCHEDULED,
        editable=False,
    )
    due_date = models.DateField(help_text="The last business day on which it may be held.")
    meeting_at = models.DateTimeField(null=True, blank=True)
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    summary = models.TextField(blank=True)
    impact = models.TextField(blank=True)
    contributing_factors = models.TextField(blank=True)
    went_well = models.TextField("what went well", blank=True)
    went_poorly = models.TextField("what went poorly", blank=True)
    lessons = models.TextField(blank=True)
    held_at = models.DateTimeField(null=True, blank=True, editable=False)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = audited_history(m2m_fields=[attendees])

    class Meta:
        ordering = ["due_date", "id"]

    def __str__(self) -> str:
        return f"Retrospective of {self.incident.key}"
