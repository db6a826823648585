"""Every API route requires the Django model permission that the admin requires.

Cases:
- A staff user without permissions gets 403 naming the missing permission, and nothing
  is written. The same user succeeds once granted that one permission.
- A superuser succeeds on every route.
- An anonymous request gets 401, and a non-staff user 403 even with the permission.
- A method that a route lacks returns 405, whatever the permissions.
- Every route under /api/v1/ declares the model that governs it, and the table of
  routes here covers each of them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.test import APIClient
from rest_framework.views import APIView

from incidents.actors import Actor
from incidents.api.permissions import ModelPermissions, required_permission
from incidents.api.views import ManualReportView
from incidents.choices import Category, Severity, Status
from incidents.models import Audience, Retrospective, Runbook
from incidents.services import action_create, alert_ingest, incident_transition
from incidents.services.communications import communication_approve, communication_draft
from incidents.services.retrospectives import (
    remediation_create,
    retrospective_hold,
    retrospective_update,
)
from tests.factories import (
    ResponderFactory,
    UserFactory,
    make_alert_input,
    make_incident,
    permission,
)
from tests.response.journey import WRITE_UP

pytestmark = pytest.mark.django_db

MISSING_PERMISSION = (
    "Missing permission {}. An administrator can grant it to your user or to one of your groups."
)
NOT_STAFF = "Only staff users can use this endpoint."
TRIAGE_ANSWERS = {"member_impact": "1_few", "data_exposure": "2_confirmed", "services_affected": 1}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Store the report files of the report route in this test's own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


class World:
    """The rows that the routes act on, each made on first use by a responder."""

    def __init__(self):
        self.responder = ResponderFactory(username="commander")
        self.actor = Actor.for_user(self.responder)

    def load_runbooks(self) -> None:
        if not Runbook.objects.exists():
            call_command("load_runbooks")

    @cached_property
    def incident(self):
        return make_incident(
            actor=self.actor,
            title="Member e-mail addresses in a public log",
            category=Category.SECURITY,
            severity=Severity.SEV1,
        )

    @cached_property
    def action(self):
        return action_create(incident=self.incident, actor=self.actor, title="Purge the log")

    @cached_property
    def alert(self):
        return alert_ingest(make_alert_input()).alert

    @cached_property
    def draft(self):
        return communication_draft(
            incident=self.incident,
            actor=self.actor,
            audience=Audience.CUSTOMERS,
            subject="Investigating",
            body="We are investigating a problem with member e-mail.",
        )

    @cached_property
    def approved(self):
        return communication_approve(communication=self.draft, actor=self.actor)

    @cached_property
    def resolved(self):
        """A resolved SEV1 incident, whose retrospective is scheduled and written up."""
        incident = make_incident(actor=self.actor, severity=Severity.SEV1, title="Resolved")
        incident = incident_transition(
            incident=incident, actor=self.actor, to_status=Status.RESOLVED, override_reason="Test"
        )
        retrospective_update(
            retrospective=Retrospective.objects.get(incident=incident),
            actor=self.actor,
            attendees=[self.responder],
            **WRITE_UP,
        )
        return incident

    @cached_property
    def held(self):
        """The resolved incident, with its retrospective held."""
        retrospective = Retrospective.objects.get(incident=self.resolved)
        retrospective_hold(retrospective=retrospective, actor=self.actor)
        return self.resolved

    @cached_property
    def task(self):
        return remediation_create(incident=self.incident, actor=self.actor, title="Rotate keys")


@pytest.fixture
def world():
    return World()


@dataclass(frozen=True)
class Route:
    """One request to one API route, and the permission that it needs."""

    name: str
    method: str
    url: Callable[[World], str]
    permission: str
    success: int = 200
    data: dict | None = None

    def send(self, client: APIClient, world: World):
        return getattr(client, self.method)(self.url(world), self.data, format="json")


def incident_url(suffix: str = "") -> Callable[[World], str]:
    return lambda world: f"/api/v1/incidents/{world.incident.key}/{suffix}"


def runbook_start_url(world: World) -> str:
    world.load_runbooks()
    return f"/api/v1/incidents/{world.incident.key}/runbooks/"


ROUTES = [
    # Incidents.
    Route("incident-list", "get", lambda world: "/api/v1/incidents/", "incidents.view_incident"),
    Route("incident-options", "options", incident_url(), "incidents.view_incident"),
    Route("incident-detail", "get", incident_url(), "incidents.view_incident"),
    Route(
        "incident-create",
        "post",
        lambda world: "/api/v1/incidents/",
        "incidents.add_incident",
        success=201,
        data={"title": "Login errors above 5%", "category": "availability", "severity": "SEV3"},
    ),
    Route(
        "incident-update",
        "patch",
        incident_url(),
        "incidents.change_incident",
        data={"title": "Member e-mail addresses in the access log"},
    ),
    Route(
        "incident-transition",
        "post",
        incident_url("transition/"),
        "incidents.change_incident",
        data={"status": "triaged"},
    ),
    Route(
        "incident-severity",
        "post",
        incident_url("severity/"),
        "incidents.change_incident",
        data={"severity": "SEV0", "reason": "The log was indexed by a search engine"},
    ),
    # Timeline.
    Route("timeline-list", "get", incident_url("timeline/"), "incidents.view_timelineentry"),
    Route(
        "timeline-note",
        "post",
        incident_url("timeline/"),
        "incidents.change_incident",
        success=201,
        data={"text": "Paged the logging team"},
    ),
    # Actions.
    Route("action-list", "get", incident_url("actions/"), "incidents.view_action"),
    Route(
        "action-detail",
        "get",
        lambda world: f"/api/v1/incidents/{world.incident.key}/actions/{world.action.pk}/",
        "incidents.view_action",
    ),
    Route(
        "action-create",
        "post",
        incident_url("actions/"),
        "incidents.add_action",
        success=201,
        data={"title": "Rotate the log bucket's keys"},
    ),
    Route(
        "action-update",
        "patch",
        lambda world: f"/api/v1/incidents/{world.incident.key}/actions/{world.action.pk}/",
        "incidents.change_action",
        data={"status": "done"},
    ),
    # Alerts.
    Route("alert-list", "get", lambda world: "/api/v1/alerts/", "incidents.view_alert"),
    Route(
        "alert-detail",
        "get",
        lambda world: f"/api/v1/alerts/{world.alert.pk}/",
        "incidents.view_alert",
    ),
    # The incident's response.
    Route("document", "get", incident_url("document/"), "incidents.view_incident"),
    Route("clocks", "get", incident_url("clocks/"), "incidents.view_clock"),
    Route("triage-list", "get", incident_url("triage/"), "incidents.view_triageassessment"),
    Route(
        "triage",
        "post",
        incident_url("triage/"),
        "incidents.change_incident",
        success=201,
        data={**TRIAGE_ANSWERS, "severity": "SEV1", "reason": "Three members exposed"},
    ),
    Route(
        "roles",
        "patch",
        incident_url("roles/"),
        "incidents.change_incident",
        data={"scribe": "commander"},
    ),
    Route(
        "security-engagement",
        "post",
        incident_url("security-engagement/"),
        "incidents.change_incident",
    ),
    Route(
        "resolve",
        "post",
        incident_url("resolve/"),
        "incidents.change_incident",
        data={"override_reason": "The log is purged and the keys rotated"},
    ),
    Route(
        "incident-runbooks",
        "get",
        incident_url("runbooks/"),
        "incidents.view_incidentrunbook",
    ),
    Route(
        "runbook-start",
        "post",
        runbook_start_url,
        "incidents.change_incident",
        success=201,
        data={"runbook": "incident-triage"},
    ),
    # Communications.
    Route(
        "communication-list",
        "get",
        incident_url("communications/"),
        "incidents.view_communication",
    ),
    Route(
        "communication-draft",
        "post",
        incident_url("communications/"),
        "incidents.add_communication",
        success=201,
        data={"template": "customer-update"},
    ),
    Route(
        "communication-preview",
        "post",
        incident_url("communications/preview/"),
        "incidents.view_communication",
        data={"subject": "{{ incident.key }}", "body": "We are investigating."},
    ),
    Route(
        "communication-detail",
        "get",
        lambda world: f"/api/v1/communications/{world.draft.pk}/",
        "incidents.view_communication",
    ),
    Route(
        "communication-edit",
        "patch",
        lambda world: f"/api/v1/communications/{world.draft.pk}/",
        "incidents.change_communication",
        data={"subject": "Still investigating"},
    ),
    Route(
        "communication-approve",
        "post",
        lambda world: f"/api/v1/communications/{world.draft.pk}/approve/",
        "incidents.change_communication",
    ),
    Route(
        "communication-send",
        "post",
        lambda world: f"/api/v1/communications/{world.approved.pk}/send/",
        "incidents.change_communication",
    ),
    # Retrospectives and remediation tasks.
    Route(
        "retrospective",
        "get",
        lambda world: f"/api/v1/incidents/{world.resolved.key}/retrospective/",
        "incidents.view_retrospective",
    ),
    Route(
        "retrospective-edit",
        "patch",
        lambda world: f"/api/v1/incidents/{world.resolved.key}/retrospective/",
        "incidents.change_retrospective",
        data={"lessons": "Logs are scanned for e-mail addresses."},
    ),
    Route(
        "retrospective-hold",
        "post",
        lambda world: f"/api/v1/incidents/{world.resolved.key}/retrospective/hold/",
        "incidents.change_retrospective",
    ),
    Route(
        "retrospective-publish",
        "post",
        lambda world: f"/api/v1/incidents/{world.held.key}/retrospective/publish/",
        "incidents.change_retrospective",
    ),
    Route(
        "remediation-list",
        "get",
        incident_url("remediation-tasks/"),
        "incidents.view_remediationtask",
    ),
    Route(
        "remediation-create",
        "post",
        incident_url("remediation-tasks/"),
        "incidents.add_remediationtask",
        success=201,
        data={"title": "Scan logs for e-mail addresses"},
    ),
    Route(
        "remediation-edit",
        "patch",
        lambda world: f"/api/v1/remediation-tasks/{world.task.pk}/",
        "incidents.change_remediationtask",
        data={"due_date": "2026-04-01"},
    ),
    # Reference data, metrics and drills.
    Route(
        "severity-levels",
        "get",
        lambda world: "/api/v1/severity-levels/",
        "incidents.view_severitylevel",
    ),
    Route(
        "severity-suggestion",
        "post",
        lambda world: "/api/v1/severity-levels/suggest/",
        "incidents.view_severitylevel",
        data=TRIAGE_ANSWERS,
    ),
    Route(
        "runbook-list",
        "get",
        lambda world: "/api/v1/runbooks/",
        "incidents.view_runbook",
    ),
    Route(
        "template-list",
        "get",
        lambda world: "/api/v1/communication-templates/",
        "incidents.view_communicationtemplate",
    ),
    Route("metrics", "get", lambda world: "/api/v1/metrics/", "incidents.view_incident"),
    Route("drill-list", "get", lambda world: "/api/v1/drills/", "incidents.view_drill"),
    Route(
        "drill-record",
        "post",
        lambda world: "/api/v1/drills/",
        "incidents.add_drill",
        success=201,
        data={"scenario": "Leaked signing key", "held_on": "2026-03-03"},
    ),
    # Reports.
    Route("report", "get", incident_url("report.pdf"), "reports.view_reportexport"),
]


def route_cases():
    return [pytest.param(route, id=route.name) for route in ROUTES]


def client_for(user) -> APIClient:
    """Authenticate as a fresh copy of the user, since a user caches its permissions."""
    client = APIClient()
    client.force_authenticate(get_user_model().objects.get(pk=user.pk))
    return client


def row_counts() -> dict[str, int]:
    """Count the rows of every model, history tables included."""
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


@pytest.mark.parametrize("route", route_cases())
def test_route_needs_its_permission(world, route):
    # given a staff user without permissions
    user = UserFactory(username="new-responder")
    route.url(world)  # makes the rows that the route acts on
    before = row_counts()

    # when the user calls the route
    rejected = route.send(client_for(user), world)

    # then it is rejected, names the permission and writes nothing
    assert rejected.status_code == 403
    assert rejected["Content-Type"] == "application/json"
    assert rejected.json() == {"detail": MISSING_PERMISSION.format(route.permission)}
    assert row_counts() == before

    # when the same user is granted that one permission
    user.user_permissions.add(permission(route.permission))
    granted = route.send(client_for(user), world)

    # then the route succeeds
    assert granted.status_code == route.success, granted.content[:500]


@pytest.mark.parametrize("route", route_cases())
def test_superuser_passes_every_route(world, route):
    superuser = UserFactory(username="admin", is_superuser=True)

    response = route.send(client_for(superuser), world)

    assert response.status_code == route.success, response.content[:500]


@pytest.mark.parametrize("route", route_cases())
def test_anonymous_request_is_401(world, route):
    route.url(world)
    before = row_counts()

    response = route.send(APIClient(), world)

    assert response.status_code == 401
    assert row_counts() == before


@pytest.mark.parametrize("route", route_cases())
def test_non_staff_user_is_403_despite_permission(world, route):
    member = UserFactory(username="member", is_staff=False, permissions=[route.permission])
    route.url(world)
    before = row_counts()

    response = route.send(client_for(member), world)

    assert response.status_code == 403
    assert response.json() == {"detail": NOT_STAFF}
    assert row_counts() == before


def test_missing_method_is_405_without_permissions(world):
    user = UserFactory(username="new-responder")

    response = client_for(user).delete(f"/api/v1/incidents/{world.incident.key}/")

    assert response.status_code == 405


def test_manual_report_needs_no_permission():
    user = UserFactory(username="new-responder")
    report = {
        "title": "Profile page shows another member",
        "category": "security",
        "severity": "SEV2",
    }

    response = client_for(user).post("/api/v1/manual-reports/", report, format="json")

    assert response.status_code == 201, response.json()


def api_routes() -> dict[str, type]:
    """Map each route under /api/v1/ to its view class, keyed as `resolve(path).route` is."""
    found = {}

    def walk(patterns, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern).removeprefix("^" if prefix else "")
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route.startswith("api/v1/"):
                found[route] = pattern.callback.cls

    walk(get_resolver().url_patterns, "")
    return found


def test_every_api_view_declares_its_model():
    routes = api_routes()

    # Guards against a walk that finds no routes, since the API has more than 30.
    assert len(routes) > 30
    for route, view in routes.items():
        if view is ManualReportView:
            assert view.permission_classes == [IsAuthenticated]
            continue
        assert view.permission_classes == [ModelPermissions], route
        assert getattr(view, "permission_model", None) is not None, route


def test_table_covers_every_api_route(world):
    tested = {resolve(route.url(world)).route for route in ROUTES}

    routes = api_routes()
    untested = {route for route, view in routes.items() if view is not ManualReportView} - tested

    assert untested == set()


def test_view_without_model_is_misconfigured(rf):
    class UndeclaredView(APIView):
        def get(self, request):
            return None

    request = Request(rf.get("/api/v1/undeclared/"))

    with pytest.raises(ImproperlyConfigured, match="UndeclaredView sets no permission_model"):
        required_permission(request, UndeclaredView())
