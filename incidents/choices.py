from django.db import models


class Category(models.TextChoices):
    SECURITY = "security", "Security"
    AVAILABILITY = "availability", "Availability"


class Severity(models.TextChoices):
    """SEV0 is the most severe. Values sort in the same order as their urgency."""

    SEV0 = "SEV0", "SEV0 – critical"
    SEV1 = "SEV1", "SEV1 – major"
    SEV2 = "SEV2", "SEV2 – significant"
    SEV3 = "SEV3", "SEV3 – minor"
    SEV4 = "SEV4", "SEV4 – low"


class Status(models.TextChoices):
    DETECTED = "detected", "Detected"
    TRIAGED = "triaged", "Triaged"
    MITIGATING = "mitigating", "Mitigating"
    MONITORING = "monitoring", "Monitoring"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


OPEN_STATUSES = (Status.DETECTED, Status.TRIAGED, Status.MITIGATING, Status.MONITORING)


class AlertSource(models.TextChoices):
    CLOUDWATCH = "cloudwatch", "AWS CloudWatch (SNS)"
    GITHUB = "github", "GitHub security-scan"
    CRASHLYTICS = "crashlytics", "Firebase Crashlytics"
    ZENDESK = "zendesk", "Zendesk escalation"
    PAGERDUTY = "pagerduty", "PagerDuty"
    MANUAL = "manual", "Manual report"


class AlertSignal(models.TextChoices):
    """What an alert means for its incident."""

    TRIGGER = "trigger", "Trigger: opens or joins an incident"
    RECOVERY = "recovery", "Recovery: the signal cleared"
    INFO = "info", "Information only"


class TimelineKind(models.TextChoices):
    CREATED = "created", "Incident opened"
    ALERT = "alert", "Alert attached"
    RECOVERY = "recovery", "Signal recovered"
    STATUS = "status", "Status change"
    SEVERITY = "severity", "Severity change"
    UPDATED = "updated", "Details edited"
    NOTE = "note", "Note"
    ACTION = "action", "Action"
    ROLE = "role", "Role change"
    NOTIFICATION = "notification", "Notification"
    REPORT = "report", "Report exported"


class ActionKind(models.TextChoices):
    CONTAINMENT = "containment", "Containment"
    ERADICATION = "eradication", "Eradication"
    RECOVERY = "recovery", "Recovery"
    INVESTIGATION = "investigation", "Investigation"


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"
