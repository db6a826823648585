from incidents.models.action import Action
from incidents.models.alert import Alert
from incidents.models.incident import Incident, IncidentKeyCounter
from incidents.models.service import Service
from incidents.models.timeline import TimelineEntry

__all__ = ["Action", "Alert", "Incident", "IncidentKeyCounter", "Service", "TimelineEntry"]
