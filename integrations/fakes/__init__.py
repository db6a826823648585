"""Local stand-ins for PagerDuty, Jira, Slack and Google Drive, for tests and the demo.

They speak the documented endpoints that Incident Desk uses, keep what they received
in memory, and fail on request: rate limits with Retry-After, server errors, timeouts
and malformed bodies. They listen on loopback only.
"""

from integrations.fakes.server import FakeVendors, Fault

__all__ = ["FakeVendors", "Fault"]
