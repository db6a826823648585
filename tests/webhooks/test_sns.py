"""SNS certificate handling and the SubscriptionConfirmation task, against a loopback fake."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from requests.adapters import HTTPAdapter

from integrations import tasks
from integrations.http import http_session, mounted
from integrations.models import SnsSubscription, SnsSubscriptionStatus
from integrations.webhooks import sns
from integrations.webhooks.base import WebhookError
from tests.webhooks.conftest import SNS_CERTS, post, signed

pytestmark = pytest.mark.django_db

SNS_HOST = "https://sns.us-east-1.amazonaws.com/"
CERT_NAME = "SimpleNotificationService-incident-desk-demo.pem"
CERT_URL = SNS_HOST + CERT_NAME


@pytest.mark.parametrize(
    "url",
    [
        "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://sns.ap-southeast-2.amazonaws.com/a/b/SimpleNotificationService-abc.pem",
        "https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-abc.pem",
    ],
)
def test_cert_url_accepted(url):
    assert sns.check_sns_url(url, "SigningCertURL", pem=True) == url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://sns.us-east-1.amazonaws.com/cert.pem", "https"),
        ("ftp://sns.us-east-1.amazonaws.com/cert.pem", "https"),
        ("https://sns.us-east-1.amazonaws.com.evil.example/cert.pem", "host"),
        ("https://evil.example/sns.us-east-1.amazonaws.com/cert.pem", "host"),
        ("https://sns.amazonaws.com/cert.pem", "host"),
        ("https://sqs.us-east-1.amazonaws.com/cert.pem", "host"),
        ("https://sns.us-east-1.amazonaws.com./cert.pem", "host"),
        ("https://xsns.us-east-1.amazonaws.com/cert.pem", "host"),
        ("https://sns.us-east-1.evilamazonaws.com/cert.pem", "host"),
        ("https://user@sns.us-east-1.amazonaws.com/cert.pem", "user"),
        ("https://user:pw@sns.us-east-1.amazonaws.com/cert.pem", "user"),
        ("https://sns.us-east-1.amazonaws.com@evil.example/cert.pem", "user"),
        ("https://sns.us-east-1.amazonaws.com:443/cert.pem", "port"),
        ("https://sns.us-east-1.amazonaws.com:8443/cert.pem", "port"),
        ("https://sns.us-east-1.amazonaws.com:abc/cert.pem", "usable"),
        ("https://SNS.US-EAST-1.AMAZONAWS.COM/cert.pem", "host"),
        ("https://sns.us-east-1.amazonaws.com/cert.txt", ".pem"),
        ("https://sns.us-east-1.amazonaws.com/cert.pem?x=1", ".pem"),
        ("https://sns.us-east-1.amazonaws.com/cert.pem#frag", ".pem"),
        ("https://sns.us-east-1.amazonaws.com/", ".pem"),
        ("https://sns.us-east-1.amazonaws.com\\@evil.example/cert.pem", "usable"),
        ("https://sns.us-east-1.amazonaws.com/ cert.pem", "usable"),
        ("", "usable"),
        ("//sns.us-east-1.amazonaws.com/cert.pem", "https"),
    ],
)
def test_cert_url_refused(url, reason):
    with pytest.raises(WebhookError) as error:
        sns.check_sns_url(url, "SigningCertURL", pem=True)

    assert error.value.field == "SigningCertURL"
    assert error.value.status == 400
    assert reason in error.value.message


def test_refused_cert_url_is_never_fetched(client, _no_network, no_new_rows):
    def evil(data):
        data["SigningCertURL"] = "https://sns.us-east-1.amazonaws.com.evil.example/x.pem"

    from tests.webhooks.conftest import sample, with_json

    response = post(client, signed(with_json(sample("cloudwatch/02-api-latency-alarm.json"), evil)))

    assert (response.status_code, response.json()["field"]) == (400, "SigningCertURL")
    assert _no_network.refused == []


def test_cert_is_read_from_the_cache_folder_and_kept_in_memory(settings, tmp_path, _no_network):
    copy = tmp_path / CERT_NAME
    copy.write_bytes((SNS_CERTS / CERT_NAME).read_bytes())
    settings.SNS_CERT_CACHE_DIR = str(tmp_path)

    first = sns.signing_key(CERT_URL)
    copy.unlink()
    second = sns.signing_key(CERT_URL)

    assert first is second
    assert _no_network.refused == []


# A loopback fake of sns.us-east-1.amazonaws.com, reached through a mounted adapter.


class FakeSns(BaseHTTPRequestHandler):
    certificate = b""
    requests_seen: list[str] = []
    confirm_status = 200

    def do_GET(self):
        self.requests_seen.append(self.path)
        parts = urlsplit(self.path)
        if parts.path.endswith(".pem"):
            self._answer(200, self.certificate, "application/x-pem-file")
        elif parse_qs(parts.query).get("Action") == ["ConfirmSubscription"]:
            topic = parse_qs(parts.query)["TopicArn"][0]
            body = (
                '<ConfirmSubscriptionResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">'
                f"<ConfirmSubscriptionResult><SubscriptionArn>{topic}:"
                "0e5d7c2b-1a3f-4b6d-8e9f-0a1b2c3d4e5f</SubscriptionArn>"
                "</ConfirmSubscriptionResult></ConfirmSubscriptionResponse>"
            ).encode()
            self._answer(self.confirm_status, body, "text/xml")
        else:
            self._answer(404, b"not found", "text/plain")

    def _answer(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class LoopbackAdapter(HTTPAdapter):
    """Sends requests for the SNS host to the local fake server instead."""

    def __init__(self, port: int):
        super().__init__()
        self.port = port
        self.timeouts: list = []

    def send(self, request, **kwargs):
        parts = urlsplit(request.url)
        request.url = f"http://127.0.0.1:{self.port}{parts.path}" + (
            f"?{parts.query}" if parts.query else ""
        )
        request.headers["Host"] = parts.hostname
        self.timeouts.append(kwargs.get("timeout"))
        return super().send(request, **kwargs)


@pytest.fixture
def fake_sns():
    FakeSns.certificate = (SNS_CERTS / CERT_NAME).read_bytes()
    FakeSns.requests_seen = []
    FakeSns.confirm_status = 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeSns)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    adapter = LoopbackAdapter(server.server_address[1])
    with mounted(SNS_HOST, adapter):
        yield FakeSns, adapter
    server.shutdown()
    server.server_close()


def test_session_factory_applies_the_timeout(settings, fake_sns):
    settings.SNS_HTTP_TIMEOUT_SECONDS = 3
    _, adapter = fake_sns

    response = http_session().get(SNS_HOST + "nothing-here")

    assert response.status_code == 404
    assert adapter.timeouts == [3]


def test_cert_not_in_the_cache_folder_is_fetched_once(client, settings, tmp_path, fake_sns):
    server, _ = fake_sns
    settings.SNS_CERT_CACHE_DIR = str(tmp_path)  # empty

    first = post(client, signed("cloudwatch/02-api-latency-alarm.json"))
    second = post(client, signed("cloudwatch/03-websocket-delivery-alarm.json"))

    assert (first.status_code, second.status_code) == (202, 202)
    assert server.requests_seen == ["/" + CERT_NAME]


def test_cert_fetch_failure_is_refused_and_stores_nothing(client, settings, tmp_path, no_new_rows):
    settings.SNS_CERT_CACHE_DIR = str(tmp_path)  # empty; the network refuses

    response = post(client, signed("cloudwatch/02-api-latency-alarm.json"))

    assert (response.status_code, response.json()["field"]) == (503, "SigningCertURL")


def test_confirmation_task_fetches_subscribe_url(
    client, settings, fake_sns, django_capture_on_commit_callbacks, monkeypatch
):
    server, _ = fake_sns
    settings.SNS_CONFIRM_SUBSCRIPTIONS = True

    task = tasks.confirm_sns_subscription_task
    queued = []

    def run_now(*args):
        # Run the queued task in-process, whatever broker the settings name.
        queued.append(args)
        return task.apply(args=args)

    monkeypatch.setattr(task, "delay", run_now)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post(client, signed("cloudwatch/01-subscription-confirmation.json"))

    assert response.status_code == 200
    assert response.json()["subscription"] == "confirming"
    assert len(callbacks) == 1  # queued once the row is committed
    subscription = SnsSubscription.objects.get()
    assert queued == [(subscription.pk,)]
    assert subscription.status == SnsSubscriptionStatus.CONFIRMED
    assert subscription.confirmed_at is not None
    assert subscription.subscription_arn.endswith(":0e5d7c2b-1a3f-4b6d-8e9f-0a1b2c3d4e5f")
    assert subscription.last_error == ""
    query = parse_qs(urlsplit(server.requests_seen[-1]).query)
    assert query["Action"] == ["ConfirmSubscription"]
    assert query["Token"] == [subscription.token]
    assert subscription.history.count() == 2


def test_confirmation_failure_is_recorded(client, settings, fake_sns):
    server, _ = fake_sns
    server.confirm_status = 403
    settings.SNS_CONFIRM_SUBSCRIPTIONS = True
    post(client, signed("cloudwatch/01-subscription-confirmation.json"))
    subscription = SnsSubscription.objects.get()

    assert tasks.confirm_sns_subscription_task(subscription.pk) == "failed"

    subscription.refresh_from_db()
    assert subscription.status == SnsSubscriptionStatus.FAILED
    assert "403" in subscription.last_error
    assert subscription.confirmed_at is None


def test_confirmation_task_does_nothing_when_disabled(
    client, fake_sns, django_capture_on_commit_callbacks
):
    server, _ = fake_sns
    with django_capture_on_commit_callbacks() as callbacks:
        post(client, signed("cloudwatch/01-subscription-confirmation.json"))
    subscription = SnsSubscription.objects.get()

    assert callbacks == []
    assert tasks.confirm_sns_subscription_task(subscription.pk) == "pending"
    assert server.requests_seen == []


def test_canonical_string_follows_the_documented_order():
    message = {
        "Type": "SubscriptionConfirmation",
        "TopicArn": "a",
        "Token": "k",
        "Timestamp": "t",
        "SubscribeURL": "u",
        "MessageId": "i",
        "Message": "m",
        "Signature": "not signed",
    }

    assert sns.canonical_string(message) == (
        b"Message\nm\nMessageId\ni\nSubscribeURL\nu\nTimestamp\nt\nToken\nk\n"
        b"TopicArn\na\nType\nSubscriptionConfirmation\n"
    )


def test_notification_without_subject_leaves_it_out():
    message = {
        "Type": "Notification",
        "Message": "m",
        "MessageId": "i",
        "Timestamp": "t",
        "TopicArn": "a",
    }

    assert (
        sns.canonical_string(message)
        == b"Message\nm\nMessageId\ni\nTimestamp\nt\nTopicArn\na\nType\nNotification\n"
    )
