from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.utils import timezone

from incidents.actors import Actor
from incidents.choices import TimelineKind
from incidents.models.history import audited_history

APPEND_ONLY_MESSAGE = "Timeline entries are append-only: add a new entry instead."


class TimelineQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionDenied(APPEND_ONLY_MESSAGE)

    def delete(self):
        raise PermissionDenied(APPEND_ONLY_MESSAGE)


class TimelineEntry(models.Model):
    """One event in an incident's story. Rows are written once and never changed."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="timeline"
    )
    kind = models.CharField(max_length=20, choices=TimelineKind.choices)
    occurred_at = models.DateTimeField(default=timezone.now)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_integration = models.CharField(max_length=64, blank=True)
    text = models.TextField()
    data = models.JSONField(default=dict, blank=True)

    history = audited_history()
    objects = TimelineQuerySet.as_manager()

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name_plural = "timeline entries"
        constraints = [
            models.CheckConstraint(
                condition=(
                    (Q(actor_user__isnull=False) & Q(actor_integration=""))
                    | (Q(actor_user__isnull=True) & ~Q(actor_integration=""))
                ),
                name="timeline_actor_is_user_or_integration",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.get_kind_display()}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionDenied(APPEND_ONLY_MESSAGE)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied(APPEND_ONLY_MESSAGE)

    @property
    def actor_label(self) -> str:
        if self.actor_user_id:
            return self.actor_user.get_username()
        return self.actor_integration

    def set_actor(self, actor: Actor) -> None:
        self.actor_user = actor.user
        self.actor_integration = actor.integration
