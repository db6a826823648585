"""API requests that once failed with a 500: each now gets a 4xx naming what is wrong."""

import base64
from urllib.parse import urlencode

import pytest

from incidents.services.incidents import _format_key
from tests.factories import make_incident

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/incidents/"


@pytest.mark.parametrize(
    "query",
    [
        {"detected_after": "0001-01-01T00:00:00+14:00"},
        {"detected_before": "9999-12-31T23:59:59-14:00"},
    ],
    ids=["before-year-one", "after-year-9999"],
)
def test_unstorable_filter_time_is_400(staff_client, query):
    response = staff_client.get(f"{LIST_URL}?{urlencode(query)}")

    assert response.status_code == 400
    [name] = query
    assert "years 1 to 9999" in response.json()[name][0]


@pytest.mark.parametrize(
    "position", ["notadate", "9999-12-31T23:59:59-14:00"], ids=["text", "out-of-range"]
)
def test_forged_cursor_is_rejected(staff_client, staff_actor, position):
    make_incident(actor=staff_actor)
    cursor = base64.b64encode(urlencode({"p": position}).encode()).decode()

    response = staff_client.get(f"{LIST_URL}?{urlencode({'cursor': cursor})}")

    assert response.status_code == 404
    assert response.json()["detail"] == "Invalid cursor"


def test_deeply_nested_json_is_400(staff_client):
    body = "[" * 5000 + "]" * 5000

    response = staff_client.generic("POST", LIST_URL, body, content_type="application/json")

    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


def test_keys_have_four_digit_years():
    assert _format_key(1, 7) == "INC-0001-0007"
    assert _format_key(2026, 12345) == "INC-2026-12345"
