from django.db import models
from django.utils import timezone

from incidents.choices import ClockKind, ClockState
from incidents.models.history import audited_history


class ClockQuerySet(models.QuerySet):
    def running(self):
        return self.filter(stopped_at__isnull=True, met_at__isnull=True)

    def at_risk(self, *, now=None, within=None):
        """Running clocks that are breached, or due within `within` of now."""
        now = now or timezone.now()
        running = self.running()
        if within is None:
            return running.filter(breached_at__isnull=False)
        return running.filter(
            models.Q(breached_at__isnull=False) | models.Q(due_at__lte=now + within)
        )


class Clock(models.Model):
    """One deadline of the response process on one incident.

    The periodic sweep reminds at `remind_at` and acts at `due_at`: a breach for most
    kinds, completion for the monitoring window. A met or stopped clock is never swept.
    """

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="clocks"
    )
    kind = models.CharField(max_length=30, choices=ClockKind.choices)
    started_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    remind_at = models.DateTimeField(
        null=True, blank=True, help_text="When the next reminder is due; empty when none is."
    )
    reminded_at = models.DateTimeField(null=True, blank=True)
    reminder_count = models.PositiveIntegerField(default=0)
    met_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    breach_count = models.PositiveIntegerField(
        default=0, help_text="Breaches over the clock's life; the update clock can breach often."
    )
    stopped_at = models.DateTimeField(null=True, blank=True)
    stop_reason = models.CharField(max_length=300, blank=True)

    history = audited_history()
    objects = ClockQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "kind"], name="clock_one_per_kind")
        ]
        indexes = [models.Index(fields=["met_at", "stopped_at", "due_at"])]

    def __str__(self) -> str:
        return f"{self.incident.key} {self.get_kind_display()}: {self.get_state_display()}"

    @property
    def state(self) -> str:
        if self.met_at is not None:
            return ClockState.MET_LATE if self.breached_at else ClockState.MET
        if self.stopped_at is not None:
            return ClockState.STOPPED
        if self.breached_at is not None:
            return ClockState.BREACHED
        return ClockState.RUNNING

    def get_state_display(self) -> str:
        return ClockState(self.state).label
