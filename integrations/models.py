"""Integration state: the outbox of outgoing calls and the ids other systems gave us."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from incidents.models.history import audited_history


class Target(models.TextChoices):
    PAGERDUTY = "pagerduty", "PagerDuty"
    JIRA = "jira", "Jira"
    SLACK = "slack", "Slack"
    GOOGLE_DRIVE = "google_drive", "Google Drive"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    DRY_RUN = "dry_run", "Recorded (dry run)"
    FAILED = "failed", "Failed"


FINISHED_STATUSES = (OutboxStatus.DELIVERED, OutboxStatus.DRY_RUN, OutboxStatus.FAILED)


class OutboxMessage(models.Model):
    """One outgoing call, written in the transaction of the change that causes it.

    A worker claims the row, makes the call and stores the outcome. Failed attempts
    set `next_attempt_at` from the outbox's own backoff schedule, and the sweeper
    queues due rows again, so the schedule survives a lost task or a broker restart.
    """

    target = models.CharField(max_length=20, choices=Target.choices)
    operation = models.CharField(max_length=50)
    payload = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(
        max_length=200,
        unique=True,
        help_text="The same change never writes two rows: a second write returns the first.",
    )
    ordering_key = models.CharField(
        max_length=200,
        blank=True,
        help_text="Rows sharing this key are delivered one at a time, in the order written.",
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outbox_messages",
    )
    status = models.CharField(
        max_length=20, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    enqueued_at = models.DateTimeField(
        null=True, blank=True, help_text="When a delivery task was last queued for this row."
    )
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    claimed_until = models.DateTimeField(
        null=True, blank=True, help_text="A worker holds the row until then, or until it finishes."
    )
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, help_text="Why the last attempt failed, if it did.")
    external_id = models.CharField(
        max_length=200, blank=True, help_text="The id the other system gave the result."
    )
    request = models.JSONField(
        default=dict, blank=True, help_text="The last request sent, or recorded in dry-run mode."
    )
    response = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    delivered_at = models.DateTimeField(null=True, blank=True)

    history = audited_history()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["ordering_key", "id"]),
            models.Index(fields=["target", "status", "-delivered_at"]),
            models.Index(fields=["target", "-last_attempt_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_target_display()} {self.operation} ({self.idempotency_key})"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES


class ExternalSystem(models.TextChoices):
    JIRA = "jira", "Jira"
    PAGERDUTY = "pagerduty", "PagerDuty"
    SLACK = "slack", "Slack"


class ExternalIdentity(models.Model):
    """A user's account in another system: Jira accountId, PagerDuty or Slack user id."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_identities"
    )
    system = models.CharField(max_length=20, choices=ExternalSystem.choices)
    external_id = models.CharField(max_length=128)

    history = audited_history()

    class Meta:
        verbose_name_plural = "external identities"
        constraints = [
            models.UniqueConstraint(fields=["system", "user"], name="identity_one_per_system"),
            models.UniqueConstraint(
                fields=["system", "external_id"], name="identity_external_id_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_system_display()} {self.external_id}"


class PagerDutyIncident(models.Model):
    """A PagerDuty incident that belongs to an Incident Desk incident."""

    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.CASCADE,
        related_name="pagerduty_incidents",
        null=True,
        blank=True,
        help_text="Empty while an acknowledgement waits for the webhook that links it.",
    )
    pagerduty_id = models.CharField(max_length=64, unique=True)
    incident_key = models.CharField(max_length=255, blank=True)
    html_url = models.URLField(max_length=500, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(
        max_length=64, blank=True, help_text="The PagerDuty user id of whoever acknowledged."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = audited_history()

    class Meta:
        verbose_name = "PagerDuty incident"

    def __str__(self) -> str:
        return self.pagerduty_id


class SlackThread(models.Model):
    """The message that starts an incident's thread in a channel, by its ts."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="slack_threads"
    )
    channel = models.CharField(max_length=100, help_text="The channel name from the settings.")
    channel_id = models.CharField(max_length=32, help_text="The id Slack returned for it.")
    ts = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = audited_history()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "channel"], name="slack_thread_per_channel")
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.ts}"


class JiraIssue(models.Model):
    """The Jira issue filed for a remediation task."""

    task = models.OneToOneField(
        "incidents.RemediationTask", on_delete=models.CASCADE, related_name="jira_issue"
    )
    issue_id = models.CharField(max_length=32, blank=True)
    issue_key = models.CharField(max_length=50, unique=True)
    status_category = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = audited_history()

    def __str__(self) -> str:
        return self.issue_key


class DriveFile(models.Model):
    """A final report uploaded to the Google Drive reports folder."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="drive_files"
    )
    file_id = models.CharField(max_length=128, unique=True)
    name = models.CharField(max_length=255)
    folder_id = models.CharField(max_length=128)
    sha256 = models.CharField(max_length=64)
    web_view_link = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = audited_history()

    def __str__(self) -> str:
        return self.name


class SnsSubscriptionStatus(models.TextChoices):
    PENDING = "pending", "Pending: not confirmed"
    CONFIRMING = "confirming", "Confirming: SubscribeURL queued"
    CONFIRMED = "confirmed", "Confirmed"
    FAILED = "failed", "Confirmation failed"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"


CONFIRMATION_DISABLED_NOTE = (
    "Not confirmed: SNS_CONFIRM_SUBSCRIPTIONS is off. Set SNS_CONFIRM_SUBSCRIPTIONS=true "
    "and ask SNS to resend the confirmation (or request it again from the topic), or "
    "confirm by hand with `aws sns confirm-subscription --topic-arn <topic> --token <token>`."
)


class SnsSubscription(models.Model):
    """An SNS topic that asked to deliver here, and how its confirmation went."""

    topic_arn = models.CharField(max_length=256, unique=True)
    subscribe_url = models.URLField(max_length=2048)
    token = models.CharField(max_length=512)
    message_id = models.CharField(
        max_length=100, help_text="The SubscriptionConfirmation message last received."
    )
    status = models.CharField(
        max_length=20, choices=SnsSubscriptionStatus.choices, default=SnsSubscriptionStatus.PENDING
    )
    subscription_arn = models.CharField(max_length=512, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    note = models.TextField(blank=True, help_text="What happens next, for the duty engineer.")
    received_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = audited_history()

    class Meta:
        verbose_name = "SNS subscription"
        ordering = ["topic_arn"]

    def __str__(self) -> str:
        return f"{self.topic_arn} ({self.status})"
