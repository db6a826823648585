from incidents.models.action import Action
from incidents.models.alert import Alert
from incidents.models.clock import Clock
from incidents.models.communication_template import CommunicationTemplate
from incidents.models.drill import Drill, DrillReminder
from incidents.models.followup import (
    Audience,
    Communication,
    CommunicationStatus,
    RemediationStatus,
    RemediationTask,
)
from incidents.models.incident import Incident, IncidentKeyCounter, IncidentResponse
from incidents.models.retrospective import Retrospective
from incidents.models.runbook import IncidentRunbook, Runbook, RunbookStep, RunbookVersion
from incidents.models.service import Service
from incidents.models.severity import SeverityLevel, TriageAssessment
from incidents.models.timeline import TimelineEntry

__all__ = [
    "Action",
    "Alert",
    "Audience",
    "Clock",
    "Communication",
    "CommunicationStatus",
    "CommunicationTemplate",
    "Drill",
    "DrillReminder",
    "Incident",
    "IncidentKeyCounter",
    "IncidentResponse",
    "IncidentRunbook",
    "RemediationStatus",
    "RemediationTask",
    "Retrospective",
    "Runbook",
    "RunbookStep",
    "RunbookVersion",
    "Service",
    "SeverityLevel",
    "TimelineEntry",
    "TriageAssessment",
]
