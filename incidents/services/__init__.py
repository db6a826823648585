"""Every write to incidents goes through these functions, whoever calls them.

Admin actions, API views, webhooks and Celery tasks call the same services, so they
validate the same way, record the same audit trail and trigger the same side effects.
"""

from incidents.services.actions import action_create, action_update
from incidents.services.alerts import AlertInput, IngestResult, alert_ingest
from incidents.services.incidents import (
    incident_change_severity,
    incident_create,
    incident_transition,
    incident_update,
)
from incidents.services.timeline import timeline_add_note, timeline_record

__all__ = [
    "AlertInput",
    "IngestResult",
    "action_create",
    "action_update",
    "alert_ingest",
    "incident_change_severity",
    "incident_create",
    "incident_transition",
    "incident_update",
    "timeline_add_note",
    "timeline_record",
]
