import datetime

import pytest

from incidents.choices import Severity, TimelineKind
from incidents.models import RemediationStatus, RemediationTask
from integrations.models import JiraIssue
from tests.factories import make_incident
from tests.webhooks.conftest import (
    error_of,
    post,
    sample,
    signed,
    tamper,
    with_headers,
    with_json,
)

pytestmark = pytest.mark.django_db

DONE = "jira/01-issue-done-untracked.json"
SIGNATURE = "X-Hub-Signature"
OWN_ACCOUNT = "557058:incident-desk"


@pytest.fixture
def task(staff_actor):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV3)
    return RemediationTask.objects.create(
        incident=incident,
        title="Rotate the signing key of the member export job",
        due_date=datetime.date(2026, 12, 15),
        tracker_key="ACSEC-342",
    )


def with_category(category: str, account_id: str = "712020:platform-engineer"):
    def change(payload):
        payload["issue"]["fields"]["status"]["statusCategory"]["key"] = category
        payload["user"]["accountId"] = account_id

    return signed(with_json(sample(DONE), change))


def test_done_category_finishes_task(client, task):
    response = post(client, signed(DONE))

    assert response.status_code == 200
    assert response.json()["status"] == "synced"
    assert response.json()["incident"] == task.incident.key
    task.refresh_from_db()
    assert task.status == RemediationStatus.DONE
    entry = task.incident.timeline.get(actor_integration="jira")
    assert entry.kind == TimelineKind.ACTION
    assert "ACSEC-342" in entry.text


def test_status_name_is_not_read(client, task):
    # The sample's status is named "Erledigt"; only its category key counts.
    def rename(payload):
        payload["issue"]["fields"]["status"]["name"] = "Open"

    post(client, signed(with_json(sample(DONE), rename)))

    task.refresh_from_db()
    assert task.status == RemediationStatus.DONE


@pytest.mark.parametrize(
    ("category", "status"),
    [("new", RemediationStatus.OPEN), ("indeterminate", RemediationStatus.IN_PROGRESS)],
)
def test_other_categories_move_task(client, task, category, status):
    task.status = RemediationStatus.DONE
    task.save()

    post(client, with_category(category))

    task.refresh_from_db()
    assert task.status == status


def test_own_account_change_is_ignored(client, task, settings):
    settings.JIRA_ACCOUNT_ID = OWN_ACCOUNT

    response = post(client, with_category("done", account_id=OWN_ACCOUNT))

    assert response.json()["status"] == "unchanged"
    task.refresh_from_db()
    assert task.status == RemediationStatus.OPEN


def test_redelivery_changes_nothing(client, task):
    post(client, signed(DONE))

    response = post(client, signed(DONE))

    assert response.json()["status"] == "unchanged"
    assert task.incident.timeline.filter(actor_integration="jira").count() == 1


def test_untracked_issue_is_unchanged(client, no_new_rows):
    response = post(client, signed(DONE))

    assert response.status_code == 200
    assert response.json()["status"] == "unchanged"


def test_other_events_are_ignored(client, no_new_rows):
    delivery = signed(with_json(sample(DONE), lambda p: p.update(webhookEvent="sprint_started")))

    response = post(client, delivery)

    assert (response.status_code, response.json()["status"]) == (200, "ignored")


def test_unknown_category_is_named(client, task, no_new_rows):
    response = post(client, with_category("finished"))

    assert error_of(response) == (400, "issue.fields.status.statusCategory.key")
    assert "'finished'" in response.json()["error"]


def test_missing_issue_key_is_named(client, no_new_rows):
    delivery = signed(with_json(sample(DONE), lambda p: p["issue"].pop("key")))

    assert error_of(post(client, delivery)) == (400, "issue.key")


def test_tampered_signature_is_rejected(client, task, no_new_rows):
    response = post(client, tamper(signed(DONE), b"ACSEC-342", b"ACSEC-343"))

    assert error_of(response) == (401, SIGNATURE)
    task.refresh_from_db()
    assert task.status == RemediationStatus.OPEN


def test_missing_signature_is_rejected(client, no_new_rows):
    response = post(client, with_headers(signed(DONE), drop=(SIGNATURE,)))

    assert error_of(response) == (401, SIGNATURE)


def test_unset_secret_rejects_everything(client, settings, no_new_rows):
    delivery = signed(DONE)
    settings.JIRA_WEBHOOK_SECRET = ""

    assert error_of(post(client, delivery)) == (403, SIGNATURE)


def test_unchanged_category_moves_no_task(client, task):
    # given: the task was set aside here while its issue stayed in a "new" status
    JiraIssue.objects.create(task=task, issue_key="ACSEC-342", status_category="new")
    task.status = RemediationStatus.WONT_DO
    task.save()

    response = post(client, with_category("new"))

    assert response.json()["status"] == "unchanged"
    task.refresh_from_db()
    assert task.status == RemediationStatus.WONT_DO


def test_own_account_change_records_category(client, task, settings):
    settings.JIRA_ACCOUNT_ID = OWN_ACCOUNT
    issue = JiraIssue.objects.create(task=task, issue_key="ACSEC-342")

    post(client, with_category("new", account_id=OWN_ACCOUNT))
    moved = post(client, with_category("done"))

    issue.refresh_from_db()
    assert issue.status_category == "done"
    assert moved.json()["status"] == "synced"
