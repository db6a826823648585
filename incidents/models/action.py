from django.conf import settings
from django.db import models
from django.utils import timezone

from incidents.choices import ActionKind, ActionStatus
from incidents.models.history import audited_history


class Action(models.Model):
    """A tracked containment, eradication or recovery step."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="actions"
    )
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    kind = models.CharField(
        max_length=20, choices=ActionKind.choices, default=ActionKind.CONTAINMENT
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incident_actions",
    )
    status = models.CharField(
        max_length=20, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    due_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    runbook_step = models.ForeignKey(
        "incidents.RunbookStep",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="actions",
        help_text="The runbook step this action was created from, if any.",
    )

    history = audited_history()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.title
