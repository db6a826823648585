from datetime import timedelta

from django.conf import settings
from django.db import connection, models
from django.utils import timezone

from incidents.choices import OPEN_STATUSES, Category, Severity, Status
from incidents.models.history import audited_history
from incidents.models.service import Service


class IncidentKeyCounter(models.Model):
    """The last incident number handed out in a year.

    Not under history: it is a sequence, and its value is visible on every incident.
    """

    year = models.PositiveIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"

    @classmethod
    def next_number(cls, year: int) -> int:
        """Increment and return the year's counter in one statement.

        The upsert takes a row lock, so concurrent transactions queue behind each other
        and never read the same value. A number is lost only if its transaction rolls
        back, and then no incident ever carried it.
        """
        table = connection.ops.quote_name(cls._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (year, last_number) VALUES (%s, 1) "
                f"ON CONFLICT (year) DO UPDATE SET last_number = {table}.last_number + 1 "
                "RETURNING last_number",
                [year],
            )
            return cursor.fetchone()[0]


class IncidentQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)


class Incident(models.Model):
    key = models.CharField(max_length=20, unique=True, editable=False)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    category = models.CharField(max_length=20, choices=Category.choices)
    severity = models.CharField(max_length=4, choices=Severity.choices)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DETECTED, editable=False
    )
    affected_services = models.ManyToManyField(Service, blank=True, related_name="incidents")
    private = models.BooleanField(
        default=False, help_text="Private incidents are never announced in public channels."
    )
    commander = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="commanded_incidents",
        help_text="The duty engineer leading the response.",
    )
    security_lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="security_led_incidents",
    )
    communications_lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="communications_led_incidents",
        help_text="Drafts and sends the stakeholder updates.",
    )
    scribe = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="scribed_incidents",
        help_text="Keeps the timeline and the incident document current.",
    )
    is_drill = models.BooleanField(
        default=False,
        help_text="A rehearsal: drill incidents are left out of the response metrics.",
    )

    detected_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True, editable=False)
    mitigated_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolved_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = audited_history(m2m_fields=[affected_services])
    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-detected_at", "-id"]
        indexes = [
            models.Index(fields=["status", "severity"]),
            models.Index(fields=["-detected_at", "-id"]),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def time_to_acknowledge(self) -> timedelta | None:
        """MTTA for this incident: detection to acknowledgement."""
        if self.acknowledged_at is None:
            return None
        return self.acknowledged_at - self.detected_at

    @property
    def time_to_resolve(self) -> timedelta | None:
        """MTTR for this incident: detection to resolution."""
        if self.resolved_at is None:
            return None
        return self.resolved_at - self.detected_at


class IncidentResponse(Incident):
    """The incidents seen from the response process: clocks, document and triage.

    A proxy, so the admin can list it with its own columns and pages beside the
    incident admin; it has no table of its own.
    """

    class Meta:
        proxy = True
        verbose_name = "incident response"
        verbose_name_plural = "response desk"
