from django.conf import settings
from django.db import models
from django.utils import timezone

from incidents.models.history import audited_history


class RemediationStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    WONT_DO = "wont_do", "Won't do"


class RemediationTask(models.Model):
    """Follow-up work from an incident, filed in the issue tracker."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="remediation_tasks"
    )
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="remediation_tasks",
    )
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=RemediationStatus.choices, default=RemediationStatus.OPEN
    )
    tracker_key = models.CharField(
        max_length=50, blank=True, help_text="The issue key in the tracker, such as ACSEC-318."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = audited_history()

    class Meta:
        ordering = ["due_date", "id"]

    def __str__(self) -> str:
        return self.title


class Audience(models.TextChoices):
    CUSTOMERS = "customers", "Customers"
    EXECUTIVES = "executives", "Executives"
    REGULATORS = "regulators", "Regulators"
    RESPONDERS = "responders", "Responders"


class CommunicationStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved"
    SENT = "sent", "Sent"


class Communication(models.Model):
    """A status update for one audience: drafted, approved by a user, then sent."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="communications"
    )
    audience = models.CharField(max_length=20, choices=Audience.choices)
    subject = models.CharField(max_length=255)
    body = models.TextField()
    status = models.CharField(
        max_length=20, choices=CommunicationStatus.choices, default=CommunicationStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    template = models.ForeignKey(
        "incidents.CommunicationTemplate",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="communications",
        help_text="The template the text was drafted from, if any.",
    )
    recipients = models.JSONField(
        default=list, blank=True, help_text="The e-mail addresses the update was sent to."
    )

    history = audited_history()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_audience_display()}: {self.subject}"

    @property
    def is_posted_publicly(self) -> bool:
        """Whether sending it posts to the public status channel: customers, not private."""
        return self.audience == Audience.CUSTOMERS and not self.incident.private
