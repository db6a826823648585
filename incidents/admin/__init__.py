"""Admin registrations, one module per area."""

from incidents.admin import response  # noqa: F401
