import io
import json

import pytest
from django.test import RequestFactory

from integrations.webhooks import base
from integrations.webhooks.base import RECEIVERS, Receiver, dispatch
from tests.webhooks.conftest import post, sample, signed, with_body

pytestmark = pytest.mark.django_db


def test_unknown_source_is_404_naming_it(client, no_new_rows):
    response = client.post("/webhooks/statuspage/", data=b"{}", content_type="application/json")

    assert response.status_code == 404
    assert response.json() == {
        "error": "No webhook receiver for source 'statuspage'.",
        "field": "source",
    }


@pytest.mark.parametrize("source", sorted(RECEIVERS))
@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_only_post_is_allowed(client, source, method, no_new_rows):
    response = getattr(client, method)(f"/webhooks/{source}/")

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json()["field"] == "method"


def test_every_registered_receiver_loads():
    for source in RECEIVERS:
        receiver_class = base.get_receiver_class(source)
        assert issubclass(receiver_class, Receiver)
        assert receiver_class.source == source


def test_path_without_trailing_slash_is_accepted(client):
    delivery = signed("github/01-ping.json")
    response = post(client, delivery.__class__(**{**delivery.__dict__, "path": "/webhooks/github"}))

    assert response.status_code == 200


@pytest.mark.parametrize("source", sorted(RECEIVERS))
def test_oversize_body_is_413_by_content_length(client, settings, source, no_new_rows):
    settings.WEBHOOK_MAX_BODY_BYTES = 1024
    response = client.post(
        f"/webhooks/{source}/", data=b"{" + b" " * 2048 + b"}", content_type="application/json"
    )

    assert response.status_code == 413
    assert response.json()["field"] == "Content-Length"


def test_oversize_body_is_413_by_the_bytes_read(settings, no_new_rows):
    """Without a Content-Length (or with a wrong one), the read length still counts."""
    settings.WEBHOOK_MAX_BODY_BYTES = 1024
    request = RequestFactory().post("/webhooks/github/", data=b"", content_type="application/json")
    request.META.pop("CONTENT_LENGTH", None)
    request._stream = io.BytesIO(b"{" + b" " * 4096 + b"}")

    response = dispatch(request, "github")

    assert response.status_code == 413
    assert json.loads(response.content)["field"] == "body"


def test_body_at_the_limit_is_read(client, settings):
    delivery = signed("github/01-ping.json")
    settings.WEBHOOK_MAX_BODY_BYTES = len(delivery.body)

    assert post(client, delivery).status_code == 200


def test_bad_content_length_is_400(no_new_rows):
    request = RequestFactory().post(
        "/webhooks/github/", data=b"{}", content_type="application/json"
    )
    request.META["CONTENT_LENGTH"] = "lots"

    response = dispatch(request, "github")

    assert (response.status_code, json.loads(response.content)["field"]) == (400, "Content-Length")


def test_csrf_is_enforced_elsewhere_but_not_on_webhooks(client):
    """The client enforces CSRF: a webhook accepts, a CSRF-protected view refuses."""
    assert client.post("/admin/login/", {"username": "x", "password": "y"}).status_code == 403
    assert post(client, signed("github/01-ping.json")).status_code == 200


def test_malformed_json_after_a_valid_signature_names_the_body(client, no_new_rows):
    delivery = signed(with_body(sample("github/02-code-scanning-created-instances.json"), b"{oops"))

    response = post(client, delivery)

    assert (response.status_code, response.json()["field"]) == (400, "body")
    assert "not valid JSON" in response.json()["error"]


def test_error_body_never_contains_the_secret_or_signature(client, settings, caplog):
    delivery = signed("github/02-code-scanning-created-instances.json")
    given = delivery.headers["X-Hub-Signature-256"]
    response = post(client, with_body(delivery, delivery.body + b" "))

    assert response.status_code == 401
    for text in (response.content.decode(), caplog.text):
        assert settings.GITHUB_WEBHOOK_SECRET not in text
        assert given not in text
        assert given.removeprefix("sha256=") not in text
