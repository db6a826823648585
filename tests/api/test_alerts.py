import pytest

from incidents.choices import AlertSignal, AlertSource, Severity
from incidents.services import alert_ingest
from tests.factories import make_alert_input

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/alerts/"


def ingest(source: str, external_id: str, signal: str = AlertSignal.TRIGGER):
    delivery = make_alert_input(
        source=source,
        external_id=external_id,
        dedup_key=f"{source}-alarm",
        signal=signal,
        title=f"{source} alarm {external_id}",
        severity=Severity.SEV3,
        payload={"id": external_id},
    )
    return alert_ingest(delivery)


@pytest.fixture
def alerts(db):
    return {
        "cloudwatch": ingest(AlertSource.CLOUDWATCH, "cw-1"),
        "recovery": ingest(AlertSource.CLOUDWATCH, "cw-2", AlertSignal.RECOVERY),
        "pagerduty": ingest(AlertSource.PAGERDUTY, "pd-1"),
    }


def external_ids(response) -> set[str]:
    return {row["external_id"] for row in response.json()["results"]}


def test_list_alerts_newest_first(staff_client, alerts):
    response = staff_client.get(LIST_URL)

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["external_id"] for row in rows] == ["pd-1", "cw-2", "cw-1"]
    assert rows[0]["incident"] == alerts["pagerduty"].incident.key


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("source=pagerduty", {"pd-1"}),
        ("signal=recovery", {"cw-2"}),
    ],
)
def test_alert_filters(staff_client, alerts, query, expected):
    assert external_ids(staff_client.get(f"{LIST_URL}?{query}")) == expected


def test_filter_by_incident_key(staff_client, alerts):
    key = alerts["cloudwatch"].incident.key

    response = staff_client.get(f"{LIST_URL}?incident={key}")

    assert external_ids(response) == {"cw-1", "cw-2"}


def test_retrieve_alert(staff_client, alerts):
    alert = alerts["pagerduty"].alert

    response = staff_client.get(f"{LIST_URL}{alert.pk}/")

    assert response.status_code == 200
    assert response.json()["payload"] == {"id": "pd-1"}
    assert response.json()["source"] == "pagerduty"


def test_member_sees_no_alerts(member_client, alerts):
    alert = alerts["pagerduty"].alert

    listed = member_client.get(LIST_URL)
    retrieved = member_client.get(f"{LIST_URL}{alert.pk}/")

    assert listed.status_code == 403
    assert "results" not in listed.json()
    assert retrieved.status_code == 403
    assert "payload" not in retrieved.json()


@pytest.mark.parametrize(
    ("method", "on_detail"),
    [("post", False), ("put", True), ("patch", True), ("delete", True)],
)
def test_alerts_are_read_only(staff_client, alerts, method, on_detail):
    url = f"{LIST_URL}{alerts['pagerduty'].alert.pk}/" if on_detail else LIST_URL

    response = getattr(staff_client, method)(url, {"title": "changed"}, format="json")

    assert response.status_code == 405
