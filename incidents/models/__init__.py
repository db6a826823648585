from incidents.models.action import Action
from incidents.models.alert import Alert
from incidents.models.followup import (
    Audience,
    Communication,
    CommunicationStatus,
    RemediationStatus,
    RemediationTask,
)
from incidents.models.incident import Incident, IncidentKeyCounter
from incidents.models.service import Service
from incidents.models.timeline import TimelineEntry

__all__ = [
    "Action",
    "Alert",
    "Audience",
    "Communication",
    "CommunicationStatus",
    "Incident",
    "IncidentKeyCounter",
    "RemediationStatus",
    "RemediationTask",
    "Service",
    "TimelineEntry",
]
