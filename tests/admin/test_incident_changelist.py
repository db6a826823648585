import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.admin.base import CappedCountPaginator
from incidents.choices import Category, Severity, Status, TimelineKind
from incidents.models import Incident, Service
from incidents.services import incident_transition
from tests.factories import make_incident

pytestmark = pytest.mark.django_db

URL = "/admin/incidents/incident/"


@pytest.fixture
def incidents(admin_actor):
    apis = Service.objects.get(slug="apis")
    latency = make_incident(actor=admin_actor, title="API latency", services=[apis])
    leak = make_incident(
        actor=admin_actor,
        title="Token leak in a public repository",
        category=Category.SECURITY,
        severity=Severity.SEV1,
        private=True,
    )
    triaged = make_incident(actor=admin_actor, title="Push notifications delayed")
    incident_transition(incident=triaged, actor=admin_actor, to_status=Status.TRIAGED)
    return {"latency": latency, "leak": leak, "triaged": triaged}


def listed_titles(response) -> set[str]:
    return {incident.title for incident in response.context["cl"].result_list}


def test_changelist_shows_columns(admin_client, incidents):
    response = admin_client.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert incidents["leak"].key in html
    assert "Token leak in a public repository" in html
    assert "SEV1" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("severity__exact=SEV1", {"Token leak in a public repository"}),
        ("status__exact=triaged", {"Push notifications delayed"}),
        ("category__exact=security", {"Token leak in a public repository"}),
        ("private__exact=1", {"Token leak in a public repository"}),
    ],
)
def test_changelist_filters(admin_client, incidents, query, expected):
    response = admin_client.get(f"{URL}?{query}")

    assert response.status_code == 200
    assert listed_titles(response) == expected


def test_filter_by_affected_service(admin_client, incidents):
    apis = Service.objects.get(slug="apis")

    response = admin_client.get(f"{URL}?affected_services__id__exact={apis.pk}")

    assert listed_titles(response) == {"API latency"}


def test_search_by_key_and_title(admin_client, incidents):
    by_key = admin_client.get(URL, {"q": incidents["latency"].key})
    by_title = admin_client.get(URL, {"q": "token leak"})

    assert listed_titles(by_key) == {"API latency"}
    assert listed_titles(by_title) == {"Token leak in a public repository"}


def test_changelist_never_counts_whole_table(admin_client, incidents):
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(URL)

    assert response.status_code == 200
    counts = [q["sql"].upper() for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts, "the changelist is expected to count its page range"
    for sql in counts:
        assert "LIMIT" in sql, sql


def test_changelist_caps_displayed_count(admin_client, incidents, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "count_limit", 2)

    response = admin_client.get(URL)

    assert response.status_code == 200
    assert "More than 2 incidents" in response.content.decode()


def test_action_transitions_selected(admin_client, admin_user, incidents):
    selected = [incidents["latency"].pk, incidents["leak"].pk]

    response = admin_client.post(
        URL, {"action": "transition_to_mitigating", "_selected_action": selected}, follow=True
    )

    assert response.status_code == 200
    for pk in selected:
        incident = Incident.objects.get(pk=pk)
        assert incident.status == Status.MITIGATING
        assert incident.history.latest().history_user == admin_user
        assert incident.timeline.filter(kind=TimelineKind.STATUS).exists()
    text = [str(message) for message in response.context["messages"]]
    assert any("Moved to mitigating" in line for line in text)


def test_action_reports_each_failure(admin_client, incidents):
    selected = [incidents["latency"].pk, incidents["triaged"].pk]

    response = admin_client.post(
        URL, {"action": "transition_to_monitoring", "_selected_action": selected}, follow=True
    )

    latency = Incident.objects.get(pk=incidents["latency"].pk)
    triaged = Incident.objects.get(pk=incidents["triaged"].pk)
    assert latency.status == Status.DETECTED
    assert triaged.status == Status.MONITORING
    text = [str(message) for message in response.context["messages"]]
    failure = f"{latency.key}: Cannot move from detected to monitoring"
    assert any(line.startswith(failure) for line in text), text
    assert any(triaged.key in line and "Moved to monitoring" in line for line in text)


def test_no_action_moves_back_to_detected(admin_client, incidents):
    response = admin_client.get(URL)

    choices = dict(response.context["action_form"].fields["action"].choices)
    assert "transition_to_triaged" in choices
    assert "transition_to_closed" in choices
    assert "transition_to_detected" not in choices
