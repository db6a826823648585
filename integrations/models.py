from django.db import models

from incidents.models.history import audited_history


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
