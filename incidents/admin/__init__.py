"""Admin registrations, one module per area."""

from incidents.admin import alert, incident, response, service, timeline

__all__ = ["alert", "incident", "response", "service", "timeline"]
