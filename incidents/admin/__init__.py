"""Admin registrations, one module per area."""

from incidents.admin import alert, incident, service, timeline

__all__ = ["alert", "incident", "service", "timeline"]
