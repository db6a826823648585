from django.conf import settings
from django.db import models
from django.utils import timezone

from incidents.choices import ActionKind, RunbookRole
from incidents.models.history import audited_history


class Runbook(models.Model):
    """A runbook kept as a Markdown file in the repository, by its file's slug."""

    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=100, help_text="Order in lists.")

    history = audited_history()

    class Meta:
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        return self.title

    @property
    def current_version(self) -> "RunbookVersion | None":
        return self.versions.order_by("-number").first()


class RunbookVersion(models.Model):
    """One content of a runbook file.

    Loading a file whose hash differs from the latest version's adds a version, even if
    it matches an older one, so the highest number is always the file as it is now.
    """

    runbook = models.ForeignKey(Runbook, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the file's bytes.")
    source = models.TextField(help_text="The Markdown file as loaded.")
    purpose = models.TextField()
    when_to_use = models.TextField()
    loaded_at = models.DateTimeField(default=timezone.now)

    history = audited_history()

    class Meta:
        ordering = ["runbook", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["runbook", "number"], name="runbook_version_number"),
        ]

    def __str__(self) -> str:
        return f"{self.runbook.slug} v{self.number}"


class RunbookStep(models.Model):
    version = models.ForeignKey(RunbookVersion, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    section = models.CharField(max_length=200, blank=True)
    text = models.CharField(max_length=300)
    kind = models.CharField(max_length=20, choices=ActionKind.choices)
    role = models.CharField(max_length=30, choices=RunbookRole.choices)

    history = audited_history()

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "position"], name="runbook_step_position")
        ]

    def __str__(self) -> str:
        return self.text


class IncidentRunbook(models.Model):
    """A runbook version started on an incident; its steps became the incident's actions."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="runbooks"
    )
    version = models.ForeignKey(RunbookVersion, on_delete=models.PROTECT, related_name="uses")
    started_at = models.DateTimeField(default=timezone.now)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    history = audited_history()

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "version"], name="incident_runbook_once")
        ]

    def __str__(self) -> str:
        return f"{self.incident.key}: {self.version}"
