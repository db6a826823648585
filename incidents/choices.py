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
    TRIAGE = "triage", "Triage"
    RUNBOOK = "runbook", "Runbook"
    CLOCK = "clock", "Response clock"
    PAGE = "page", "Page"
    COMMUNICATION = "communication", "Communication"
    RETROSPECTIVE = "retrospective", "Retrospective"
    REMEDIATION = "remediation", "Remediation task"


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


class ClockKind(models.TextChoices):
    """The deadlines the response process sets on an incident."""

    SECURITY_ENGAGEMENT = "security_engagement", "Security lead engagement"
    UPDATE = "update", "Stakeholder update"
    MONITORING = "monitoring", "Heightened monitoring"
    RETROSPECTIVE = "retrospective", "Retrospective held"


class ClockState(models.TextChoices):
    RUNNING = "running", "Running"
    MET = "met", "Met"
    MET_LATE = "met_late", "Met late"
    BREACHED = "breached", "Breached"
    STOPPED = "stopped", "Stopped"


class MemberImpact(models.TextChoices):
    """How many members an incident affects, from none to all. Values sort by reach."""

    NONE = "0_none", "No members"
    FEW = "1_few", "A few members"
    SOME = "2_some", "One community or a group of members"
    MANY = "3_many", "Many members across communities"
    ALL = "4_all", "All members (platform-wide)"


class DataExposure(models.TextChoices):
    """Whether member data left the platform's control. Values sort by certainty."""

    NONE = "0_none", "No exposure"
    SUSPECTED = "1_suspected", "Exposure suspected"
    CONFIRMED = "2_confirmed", "Exposure confirmed"


class RunbookRole(models.TextChoices):
    """Incident roles a runbook step can name as its owner."""

    COMMANDER = "commander", "Incident commander"
    SECURITY_LEAD = "security_lead", "Security lead"
    COMMUNICATIONS_LEAD = "communications_lead", "Communications lead"
    SCRIBE = "scribe", "Scribe"


class RetrospectiveStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    HELD = "held", "Held"
    PUBLISHED = "published", "Published"


HIGH_SEVERITIES = (Severity.SEV0, Severity.SEV1)
"""Levels whose security lead must be engaged within minutes of detection."""

RETROSPECTIVE_SEVERITIES = (Severity.SEV0, Severity.SEV1, Severity.SEV2)
"""Levels that need a published retrospective before closing, and whose slow
resolutions the metrics flag."""
