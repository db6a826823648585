import datetime

import pytest
from django.core.exceptions import ValidationError

from incidents.choices import Severity, TimelineKind
from incidents.models import RemediationStatus, RemediationTask
from integrations.fakes import Fault
from integrations.models import (
    ExternalIdentity,
    ExternalSystem,
    JiraIssue,
    OutboxMessage,
    OutboxStatus,
    Target,
)
from integrations.services import jira_issue_synced, remediation_task_file
from tests.factories import UserFactory, make_incident
from tests.integrations.conftest import drain

pytestmark = pytest.mark.django_db


def make_task(incident, **fields):
    values = {
        "title": "Rate-limit the login endpoint",
        "description": "Add a per-IP limit in front of /login.",
        "due_date": datetime.date(2027, 1, 15),
    }
    values.update(fields)
    return RemediationTask.objects.create(incident=incident, **values)


@pytest.fixture
def filed_task(live, staff_actor, time_machine):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV3)
    task = make_task(incident)
    remediation_task_file(task=task, actor=staff_actor)
    drain(time_machine)
    task.refresh_from_db()
    return task


def test_task_becomes_issue_with_fields(live, staff_actor, time_machine):
    owner = UserFactory(username="sec-engineer")
    ExternalIdentity.objects.create(user=owner, system=ExternalSystem.JIRA, external_id="5b10ac8d")
    incident = make_incident(actor=staff_actor, severity=Severity.SEV3)
    task = make_task(incident, owner=owner)

    remediation_task_file(task=task, actor=staff_actor)
    drain(time_machine)

    [issue] = live.issues.values()
    fields = issue["fields"]
    assert fields["project"] == {"key": "ACSEC"}
    assert fields["summary"] == "Rate-limit the login endpoint"
    assert fields["assignee"] == {"id": "5b10ac8d"}
    assert fields["duedate"] == "2027-01-15"
    assert fields["labels"] == [incident.key, f"incident-desk-task-{task.pk}"]
    assert incident.key in fields["description"]
    task.refresh_from_db()
    assert task.tracker_key == issue["key"]
    assert JiraIssue.objects.get(task=task).issue_key == issue["key"]


def test_lost_response_creates_one_issue(live, staff_actor, time_machine):
    # given: the search goes through, the creation succeeds but its response is lost
    live.fail_next("jira", None, Fault("lost"))
    incident = make_incident(actor=staff_actor, severity=Severity.SEV3)
    task = make_task(incident)
    remediation_task_file(task=task, actor=staff_actor)

    # when
    drain(time_machine)

    # then: the retry finds the issue by its labels
    row = OutboxMessage.objects.get(target=Target.JIRA)
    assert row.status == OutboxStatus.DELIVERED
    assert row.attempts == 2
    assert row.response == {"found": "ACSEC-1"}
    assert len(live.issues) == 1
    task.refresh_from_db()
    assert task.tracker_key == "ACSEC-1"


def test_search_uses_jql_endpoint(filed_task, live):
    searches = [path for method, path in live.requests if "search" in path]

    assert searches == ["/jira/rest/api/2/search/jql"]


def test_filing_twice_writes_one_row(filed_task, staff_actor):
    remediation_task_file(task=filed_task, actor=staff_actor)

    assert OutboxMessage.objects.filter(target=Target.JIRA).count() == 1


@pytest.mark.parametrize(
    "fault",
    [Fault("429", seconds=10), Fault("500"), Fault("timeout", seconds=2), Fault("malformed")],
    ids=["rate-limit", "server-error", "timeout", "malformed"],
)
def test_transient_failure_files_once(live, staff_actor, fault, time_machine):
    live.fail_next("jira", fault)
    incident = make_incident(actor=staff_actor, severity=Severity.SEV3)
    remediation_task_file(task=make_task(incident), actor=staff_actor)

    drain(time_machine)

    row = OutboxMessage.objects.get(target=Target.JIRA)
    assert row.status == OutboxStatus.DELIVERED
    assert row.attempts == 2
    assert len(live.issues) == 1


def test_done_category_closes_task(filed_task):
    task = jira_issue_synced(
        issue_key=filed_task.tracker_key, status_category="done", changed_by_account_id="5b10ac8d"
    )

    assert task.status == RemediationStatus.DONE
    entry = filed_task.incident.timeline.filter(kind=TimelineKind.ACTION).last()
    assert entry.actor_integration == "jira"
    assert "moved from open to done" in entry.text
    assert task.history.first().history_integration == "jira"


@pytest.mark.parametrize(
    ("category", "status"),
    [("new", RemediationStatus.OPEN), ("indeterminate", RemediationStatus.IN_PROGRESS)],
)
def test_category_maps_to_status(filed_task, category, status):
    RemediationTask.objects.filter(pk=filed_task.pk).update(status=RemediationStatus.DONE)

    task = jira_issue_synced(issue_key=filed_task.tracker_key, status_category=category)

    assert task.status == status


def test_own_account_change_is_ignored(filed_task, settings):
    result = jira_issue_synced(
        issue_key=filed_task.tracker_key,
        status_category="done",
        changed_by_account_id=settings.JIRA_ACCOUNT_ID,
    )

    filed_task.refresh_from_db()
    assert result is None
    assert filed_task.status == RemediationStatus.OPEN


def test_wont_do_stays_on_done(filed_task):
    RemediationTask.objects.filter(pk=filed_task.pk).update(status=RemediationStatus.WONT_DO)

    result = jira_issue_synced(issue_key=filed_task.tracker_key, status_category="done")

    filed_task.refresh_from_db()
    assert result is None
    assert filed_task.status == RemediationStatus.WONT_DO


def test_unknown_category_is_rejected(filed_task):
    with pytest.raises(ValidationError) as error:
        jira_issue_synced(issue_key=filed_task.tracker_key, status_category="Erledigt")

    assert "'Erledigt'" in error.value.message_dict["status_category"][0]


def test_unknown_issue_is_ignored(db):
    assert jira_issue_synced(issue_key="ACSEC-999", status_category="done") is None
