from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from incidents.models.history import audited_history


def report_upload_path(instance: "ReportExport", filename: str) -> str:
    """Store each incident's reports in its own folder below REPORT_STORAGE_DIR."""
    return f"{settings.REPORT_STORAGE_DIR}/{instance.incident.key}/{filename}"


class ReportExport(models.Model):
    """One generated PDF report: who generated it, its SHA-256 and how long it is kept."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="report_exports"
    )
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    generated_by_integration = models.CharField(max_length=64, blank=True)
    generated_at = models.DateTimeField(default=timezone.now)
    sha256 = models.CharField(max_length=64, help_text="Hex SHA-256 digest of the PDF bytes.")
    size_bytes = models.PositiveBigIntegerField()
    retain_until = models.DateField(
        help_text="The generation date plus REPORT_RETENTION_DAYS; keep the file until then."
    )
    file = models.FileField(upload_to=report_upload_path, max_length=255)

    history = audited_history()

    class Meta:
        ordering = ["-generated_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    (Q(generated_by__isnull=False) & Q(generated_by_integration=""))
                    | (Q(generated_by__isnull=True) & ~Q(generated_by_integration=""))
                ),
                name="report_export_generated_by_user_or_integration",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.incident.key} report {self.generated_at:%Y-%m-%d %H:%M}"

    @property
    def generated_by_label(self) -> str:
        if self.generated_by_id:
            return self.generated_by.get_username()
        return self.generated_by_integration
