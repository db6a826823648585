"""PagerDuty: Events API v2 alerts for incidents, REST API v2 pages for the security lead.

The dedup_key of every event is the incident key, so a trigger sent twice is one
alert. A trigger after a resolve with the same key opens a new alert, and Incident
Desk does that on purpose when a resolved incident is reopened: on-call is paged again.
"""

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import pagerduty
from django.conf import settings

from incidents.choices import Severity
from incidents.models import Incident
from integrations.calls import REDACTED, describe_request, join_url, status_error, tls_context
from integrations.errors import (
    DeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
    parse_retry_after,
)
from integrations.models import OutboxMessage, PagerDutyIncident, Target
from integrations.registry import Delivery, operation, register_integration

logger = logging.getLogger(__name__)

EVENT_ACTIONS = ("trigger", "acknowledge", "resolve")
EVENT_SEVERITIES = {
    Severity.SEV0: "critical",
    Severity.SEV1: "critical",
    Severity.SEV2: "error",
    Severity.SEV3: "warning",
    Severity.SEV4: "info",
}
SUMMARY_MAX_CHARS = 1024
# PagerDuty rejects a second open incident with the same incident_key with this message.
DUPLICATE_KEY_MESSAGE = "matching dedup key already exists"


def events_configured() -> bool:
    return bool(settings.PAGERDUTY_ROUTING_KEY)


def rest_configured() -> bool:
    return bool(settings.PAGERDUTY_API_TOKEN and settings.PAGERDUTY_SECURITY_ESCALATION_POLICY_ID)


register_integration(
    Target.PAGERDUTY,
    events_configured,
    ("PAGERDUTY_ROUTING_KEY", "PAGERDUTY_API_TOKEN", "PAGERDUTY_SECURITY_ESCALATION_POLICY_ID"),
)


class _OutboxOwnsRetries:
    """Make a pagerduty client return after one attempt: the outbox schedules retries.

    The client retries network errors and HTTP statuses listed in `retry`, and status
    429 without limit; neither suits a worker that must not block. A 429 is raised from
    the postprocess hook, which the client calls after every response.
    """

    max_network_attempts = 0

    def postprocess(self, response, *args, **kwargs):
        super().postprocess(response, *args, **kwargs)
        if response.status_code == 429:
            raise TransientDeliveryError(
                "PagerDuty rate limit reached (HTTP 429)",
                status=429,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )


class EventsClient(_OutboxOwnsRetries, pagerduty.EventsApiV2Client):
    pass


class RestClient(_OutboxOwnsRetries, pagerduty.RestApiV2Client):
    pass


def _configure(client):
    client.retry = {}
    client.timeout = settings.INTEGRATIONS_HTTP_TIMEOUT_SECONDS
    return client


def events_client() -> EventsClient:
    return _configure(
        EventsClient(
            settings.PAGERDUTY_ROUTING_KEY,
            base_url=settings.PAGERDUTY_EVENTS_URL,
            verify=tls_context(),
        )
    )


def rest_client() -> RestClient:
    return _configure(
        RestClient(
            settings.PAGERDUTY_API_TOKEN,
            default_from=settings.PAGERDUTY_FROM_EMAIL or None,
            base_url=settings.PAGERDUTY_API_URL,
            verify=tls_context(),
        )
    )


@contextlib.contextmanager
def _pagerduty_errors(what: str) -> Iterator[None]:
    """Re-raise the client's errors as delivery errors, without the library's message.

    The library's messages can quote part of the credential, so only the status and an
    excerpt of the response body are kept.
    """
    try:
        yield
    except DeliveryError:
        raise
    except pagerduty.HttpError as error:
        response = error.response
        raise status_error(
            "PagerDuty",
            what,
            response.status_code,
            response.text,
            parse_retry_after(response.headers.get("Retry-After")),
        ) from None
    except pagerduty.Error as error:
        cause = error.__cause__
        reason = type(cause).__name__ if cause is not None else "no response"
        raise TransientDeliveryError(f"PagerDuty {what} failed: {reason}") from None


def _check(response, what: str) -> dict[str, Any]:
    if not response.is_success:
        raise status_error(
            "PagerDuty",
            what,
            response.status_code,
            response.text,
            parse_retry_after(response.headers.get("Retry-After")),
        )
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise status_error("PagerDuty", what, response.status_code, response.text)
    return body


def trigger_event(incident: Incident) -> dict[str, Any]:
    """Return the Events API v2 trigger for an incident, keyed by the incident key."""
    summary = f"{incident.key} {incident.severity} {incident.category}: {incident.title}"
    return {
        "event_action": "trigger",
        "dedup_key": incident.key,
        "payload": {
            "summary": summary[:SUMMARY_MAX_CHARS],
            "source": settings.PAGERDUTY_SERVICE_NAME,
            "severity": EVENT_SEVERITIES[incident.severity],
            "class": incident.category,
            "custom_details": {
                "incident": incident.key,
                "severity": incident.severity,
                "status": incident.status,
                "detected_at": incident.detected_at.isoformat(),
            },
        },
    }


def status_event(incident: Incident, action: str) -> dict[str, Any]:
    return {"event_action": action, "dedup_key": incident.key}


def send_event(message: OutboxMessage, dry_run: bool) -> Delivery:
    """Send an Events API v2 event; the routing key is added by the client, never stored."""
    event = dict(message.payload)
    request = describe_request(
        "POST",
        join_url(settings.PAGERDUTY_EVENTS_URL, "/v2/enqueue"),
        json={**event, "routing_key": REDACTED},
    )
    if dry_run:
        return Delivery(request=request)

    action = event.pop("event_action")
    dedup_key = event.pop("dedup_key")
    with _pagerduty_errors(f"{action} event"):
        returned_key = events_client().send_event(action, dedup_key=dedup_key, **event)
    return Delivery(request=request, response={"dedup_key": returned_key}, external_id=returned_key)


for _action in EVENT_ACTIONS:
    operation(Target.PAGERDUTY, _action, is_configured=events_configured)(send_event)


def _responder_request(pagerduty_id: str, text: str) -> dict[str, Any]:
    return {
        "requester_id": settings.PAGERDUTY_REQUESTER_USER_ID,
        "message": text,
        "responder_request_targets": [
            {
                "responder_request_target": {
                    "id": settings.PAGERDUTY_SECURITY_ESCALATION_POLICY_ID,
                    "type": "escalation_policy_reference",
                }
            }
        ],
    }


def _security_incident(payload: dict[str, Any], service_id: str) -> dict[str, Any]:
    return {
        "incident": {
            "type": "incident",
            "title": payload["title"],
            "service": {"id": service_id, "type": "service_reference"},
            "escalation_policy": {
                "id": settings.PAGERDUTY_SECURITY_ESCALATION_POLICY_ID,
                "type": "escalation_policy_reference",
            },
            "incident_key": payload["incident_key"],
            "urgency": "high",
            "body": {"type": "incident_body", "details": payload["message"]},
        }
    }


@operation(Target.PAGERDUTY, "page_security_lead", is_configured=rest_configured)
def page_security_lead(message: OutboxMessage, dry_run: bool) -> Delivery:
    """Add the security escalation policy as responder, or open an incident on it.

    The responder request needs the PagerDuty incident of the Incident Desk incident:
    the stored one, or the open one found by its incident key. Without one, an incident
    is opened on the security service with an incident_key of its own, which PagerDuty
    accepts once while it is open.
    """
    payload = message.payload
    known = PagerDutyIncident.objects.filter(incident_id=message.incident_id).order_by("-pk")
    pagerduty_id = known.values_list("pagerduty_id", flat=True).first()
    if dry_run:
        return Delivery(request=_describe_page(payload, pagerduty_id))

    client = rest_client()
    if pagerduty_id is None:
        pagerduty_id = _find_open_incident(client, payload["alert_key"])
    if pagerduty_id is not None:
        body = _responder_request(pagerduty_id, payload["message"])
        path = f"/incidents/{pagerduty_id}/responder_requests"
        with _pagerduty_errors("responder request"):
            response = client.post(path, json=body)
        result = _check(response, "responder request")
        request = describe_request("POST", join_url(settings.PAGERDUTY_API_URL, path), json=body)
        return Delivery(request=request, response=result, external_id=pagerduty_id)

    service_id = settings.PAGERDUTY_SECURITY_SERVICE_ID or _service_id_by_name(client)
    body = _security_incident(payload, service_id)
    request = describe_request(
        "POST", join_url(settings.PAGERDUTY_API_URL, "/incidents"), json=body
    )
    with _pagerduty_errors("incident creation"):
        response = client.post("/incidents", json=body)
    if response.status_code == 400 and DUPLICATE_KEY_MESSAGE in response.text:
        # A previous attempt opened it and its response was lost.
        existing = _find_open_incident(client, payload["incident_key"])
        return Delivery(request=request, response={"duplicate": True}, external_id=existing or "")
    result = _check(response, "incident creation")
    incident_id = (result.get("incident") or {}).get("id", "")
    return Delivery(request=request, response=result, external_id=incident_id)


def _describe_page(payload: dict[str, Any], pagerduty_id: str | None) -> dict[str, Any]:
    if pagerduty_id:
        path = f"/incidents/{pagerduty_id}/responder_requests"
        body = _responder_request(pagerduty_id, payload["message"])
    else:
        path = "/incidents"
        service_id = settings.PAGERDUTY_SECURITY_SERVICE_ID or "[service found by name]"
        body = _security_incident(payload, service_id)
    return describe_request("POST", join_url(settings.PAGERDUTY_API_URL, path), json=body)


def _find_open_incident(client: RestClient, incident_key: str) -> str | None:
    params = {"incident_key": incident_key, "statuses[]": ["triggered", "acknowledged"]}
    with _pagerduty_errors("incident lookup"):
        response = client.get("/incidents", params=params)
    incidents = _check(response, "incident lookup").get("incidents") or []
    return incidents[0]["id"] if incidents else None


def _service_id_by_name(client: RestClient) -> str:
    name = settings.PAGERDUTY_SERVICE_NAME
    with _pagerduty_errors("service lookup"):
        response = client.get("/services", params={"query": name})
    services = _check(response, "service lookup").get("services") or []
    for service in services:
        if service.get("name") == name:
            return service["id"]
    raise PermanentDeliveryError(
        f"PagerDuty has no service named {name!r}: set PAGERDUTY_SECURITY_SERVICE_ID "
        "or PAGERDUTY_SERVICE_NAME."
    )
