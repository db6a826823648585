"""One threaded HTTPS server on 127.0.0.1 serving all four vendors, routed by path prefix."""

import email.parser
import itertools
import json
import random
import re
import ssl
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from integrations.fakes.tls import server_context

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Fault:
    """A failure the fake returns instead of, or after, handling a request.

    kind is one of these:
    - "429", with Retry-After; "500"; "400";
    - "timeout": no response for `seconds`;
    - "malformed": HTTP 200 with a body that is not JSON;
    - "ok_false": Slack's HTTP 200 with "ok": false;
    - "lost": handled, then HTTP 500, as when a response is lost after the effect;
    - "hold": wait until released, then handle.
    """

    kind: str
    seconds: float = 0.0
    error: str = "internal_error"


class FakeVendors:
    """The fake services: start it, apply `settings()`, make calls, then read its state."""

    def __init__(
        self,
        *,
        timeout_seconds: float = 3.0,
        delay_seconds: float = 0.0,
        id_prefix: str = "",
        first_issue_number: int = 1,
    ):
        self.timeout_seconds = timeout_seconds
        # Ids stay unique across runs against one database when each run has its own.
        self.id_prefix = id_prefix
        self.first_issue_number = first_issue_number
        # Each response is delayed this long, so a run lasts long enough to interrupt.
        self.delay_seconds = delay_seconds

        self.lock = threading.Lock()
        self._faults: dict[str, list[Fault | None]] = defaultdict(list)
        self._failure_rates: dict[str, tuple[float, tuple[Fault, ...], random.Random]] = {}
        self.released = threading.Event()
        self.held = threading.Event()
        self.requests: list[tuple[str, str]] = []
        self._ids = itertools.count(1)

        # PagerDuty
        self.events: list[dict[str, Any]] = []
        self.alerts: list[dict[str, Any]] = []
        self.pagerduty_incidents: dict[str, dict[str, Any]] = {}
        self.pagerduty_services = [{"id": "PSVC001", "name": "Academy – Communities Platform"}]
        # Jira
        self.issues: dict[str, dict[str, Any]] = {}
        # Slack
        self.messages: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []
        # Google Drive
        self.drive_files: dict[str, dict[str, Any]] = {
            "FOLDER1": {
                "id": "FOLDER1",
                "name": "Incident Reports",
                "mimeType": "application/vnd.google-apps.folder",
                "appProperties": {},
            }
        }
        self.uploads: list[dict[str, Any]] = []
        self.tokens_issued = 0

        self.server = ThreadingHTTPServer((LOOPBACK, 0), _handler_for(self))
        self.server.daemon_threads = True
        # The TLS key, and the certificate clients trust, live until the server stops.
        self._files = tempfile.TemporaryDirectory(prefix="incident-desk-fakes-")
        context, self.ca_bundle = server_context(Path(self._files.name))
        # The handshake runs in each request's thread, so a slow client blocks no other.
        self.server.socket = context.wrap_socket(
            self.server.socket, server_side=True, do_handshake_on_connect=False
        )
        self._thread: threading.Thread | None = None

    # Lifecycle

    def start(self) -> "FakeVendors":
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()
        self._files.cleanup()

    def __enter__(self) -> "FakeVendors":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"https://{host}:{port}"

    def settings(self) -> dict[str, str]:
        """Return the settings, as environment variables, that point the clients here."""
        base = self.base_url
        return {
            "PAGERDUTY_EVENTS_URL": f"{base}/pagerduty-events",
            "PAGERDUTY_API_URL": f"{base}/pagerduty",
            "PAGERDUTY_ROUTING_KEY": "fake-routing-key-0123456789abcdef",
            "PAGERDUTY_API_TOKEN": "fake-pagerduty-token",
            "PAGERDUTY_SECURITY_ESCALATION_POLICY_ID": "PSECPOL",
            "PAGERDUTY_REQUESTER_USER_ID": "PREQ001",
            "PAGERDUTY_FROM_EMAIL": "incident-desk@example.org",
            "JIRA_URL": f"{base}/jira",
            "JIRA_EMAIL": "incident-desk@example.org",
            "JIRA_API_TOKEN": "fake-jira-token",
            "JIRA_ACCOUNT_ID": "incident-desk-account",
            "SLACK_API_URL": f"{base}/slack/api/",
            "SLACK_BOT_TOKEN": "xoxb-fake-token",
            "GOOGLE_DRIVE_ROOT_URL": f"{base}/google/",
            "INTEGRATIONS_CA_BUNDLE": self.ca_bundle,
        }

    # Failure injection

    def fail_next(self, route: str, *faults: Fault | None) -> None:
        """Fail the next requests to `route` (such as "jira") with these faults, in order.

        None in the sequence lets that request through unharmed.
        """
        with self.lock:
            self._faults[route].extend(faults)

    def fail_randomly(self, route: str, rate: float, faults: tuple[Fault, ...], seed: int) -> None:
        with self.lock:
            self._failure_rates[route] = (rate, faults, random.Random(seed))

    def _next_fault(self, route: str) -> Fault | None:
        with self.lock:
            if self._faults[route]:
                return self._faults[route].pop(0)
            if route in self._failure_rates:
                rate, faults, rng = self._failure_rates[route]
                if rng.random() < rate:
                    return rng.choice(faults)
        return None

    def new_id(self) -> int:
        with self.lock:
            return next(self._ids)

    # Views of the state for tests

    def triggers_by_key(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for event in self.events:
            if event["event_action"] == "trigger":
                counts[event["dedup_key"]] += 1
        return dict(counts)

    def alerts_for(self, dedup_key: str) -> list[dict[str, Any]]:
        return [alert for alert in self.alerts if alert["dedup_key"] == dedup_key]


def _handler_for(fakes: FakeVendors):
    class Handler(_FakeHandler):
        vendors = fakes

    return Handler


class _FakeHandler(BaseHTTPRequestHandler):
    vendors: FakeVendors
    protocol_version = "HTTP/1.1"
    # Headers and body go out as separate writes; without this, delayed ACKs add ~40 ms.
    disable_nagle_algorithm = True

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    # Plumbing

    def _dispatch(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        self.query = parse_qs(url.query)
        route, _, rest = url.path.lstrip("/").partition("/")
        self.vendors.requests.append((method, url.path))
        if self.vendors.delay_seconds:
            time.sleep(self.vendors.delay_seconds)
        fault = self.vendors._next_fault(route)
        if fault is not None and fault.kind == "hold":
            self.vendors.held.set()
            self.vendors.released.wait(timeout=60)
            fault = None
        if fault is not None and fault.kind != "lost":
            self._answer_fault(fault)
            return
        handler = ROUTES.get(route)
        if handler is None:
            self._send(404, {"error": f"no fake for {route}"})
            return
        status, body, headers = handler(self, method, "/" + rest)
        if fault is not None:
            status, body, headers = 500, {"error": "lost after handling"}, {}
        self._send(status, body, headers)

    def _answer_fault(self, fault: Fault) -> None:
        if fault.kind == "429":
            self._send(429, {"error": "rate limited"}, {"Retry-After": str(int(fault.seconds))})
        elif fault.kind == "500":
            self._send(500, {"error": "server error"})
        elif fault.kind == "400":
            self._send(400, {"status": "invalid event", "errors": ["rejected by the fake"]})
        elif fault.kind == "timeout":
            time.sleep(fault.seconds or self.vendors.timeout_seconds)
            self._send(504, {"error": "too late"})
        elif fault.kind == "malformed":
            self._send(200, b"<html>upstream proxy error</html>")
        elif fault.kind == "ok_false":
            self._send(200, {"ok": False, "error": fault.error})
        else:
            raise ValueError(f"Unknown fault {fault.kind!r}")

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        try:
            self.send_response(status)
            content_type = "application/json" if not isinstance(body, bytes) else "text/html"
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            # The client gave up (a timeout) or its process was killed.
            pass

    def json_body(self) -> Any:
        content_type = self.headers.get("Content-Type", "")
        if "application/x-www-form-urlencoded" in content_type:
            return {key: values[0] for key, values in parse_qs(self.body.decode()).items()}
        return json.loads(self.body or b"{}")


Answer = tuple[int, Any, dict[str, str]]


def _pagerduty_events(handler: _FakeHandler, method: str, path: str) -> Answer:
    if (method, path) != ("POST", "/v2/enqueue"):
        return 404, {"status": "not found"}, {}
    event = handler.json_body()
    vendors = handler.vendors
    if not event.get("routing_key") or event.get("event_action") not in (
        "trigger",
        "acknowledge",
        "resolve",
    ):
        return 400, {"status": "invalid event", "errors": ["routing_key or event_action"]}, {}
    dedup_key = event.get("dedup_key") or f"generated-{vendors.new_id()}"
    with vendors.lock:
        vendors.events.append({**event, "dedup_key": dedup_key})
        open_alert = next(
            (
                alert
                for alert in vendors.alerts
                if alert["dedup_key"] == dedup_key and alert["status"] != "resolved"
            ),
            None,
        )
        action = event["event_action"]
        if action == "trigger" and open_alert is None:
            incident_id = f"P{vendors.id_prefix}INC{len(vendors.pagerduty_incidents) + 1:04d}"
            vendors.alerts.append(
                {"dedup_key": dedup_key, "status": "triggered", "id": incident_id}
            )
            vendors.pagerduty_incidents[incident_id] = {
                "id": incident_id,
                "incident_key": dedup_key,
                "status": "triggered",
                "title": event["payload"]["summary"],
                "responder_requests": [],
            }
        elif action in ("acknowledge", "resolve") and open_alert is not None:
            status = "acknowledged" if action == "acknowledge" else "resolved"
            open_alert["status"] = status
            vendors.pagerduty_incidents[open_alert["id"]]["status"] = status
    body = {"status": "success", "message": "Event processed", "dedup_key": dedup_key}
    return 202, body, {}


def _pagerduty_rest(handler: _FakeHandler, method: str, path: str) -> Answer:
    vendors = handler.vendors
    if not handler.headers.get("Authorization", "").startswith("Token token="):
        return 401, {"error": {"message": "Unauthorized", "code": 2006}}, {}
    if (method, path) == ("GET", "/incidents"):
        key = (handler.query.get("incident_key") or [""])[0]
        statuses = handler.query.get("statuses[]") or ["triggered", "acknowledged", "resolved"]
        found = [
            incident
            for incident in vendors.pagerduty_incidents.values()
            if incident["incident_key"] == key and incident["status"] in statuses
        ]
        return 200, {"incidents": found, "limit": 25, "offset": 0, "more": False}, {}
    if (method, path) == ("GET", "/services"):
        query = (handler.query.get("query") or [""])[0]
        found = [service for service in vendors.pagerduty_services if query in service["name"]]
        return 200, {"services": found, "more": False}, {}
    if (method, path) == ("POST", "/incidents"):
        if not handler.headers.get("From"):
            return 400, {"error": {"message": "You must specify a From header"}}, {}
        incident = handler.json_body()["incident"]
        with vendors.lock:
            for existing in vendors.pagerduty_incidents.values():
                if existing["incident_key"] == incident["incident_key"] and existing["status"] != (
                    "resolved"
                ):
                    message = "Open incident with matching dedup key already exists on this service"
                    return 400, {"error": {"message": "Invalid Input", "errors": [message]}}, {}
            incident_id = f"P{vendors.id_prefix}INC{len(vendors.pagerduty_incidents) + 1:04d}"
            stored = {
                **incident,
                "id": incident_id,
                "status": "triggered",
                "responder_requests": [],
            }
            vendors.pagerduty_incidents[incident_id] = stored
        return 201, {"incident": stored}, {}
    match = re.fullmatch(r"/incidents/([^/]+)/responder_requests", path)
    if method == "POST" and match:
        incident = vendors.pagerduty_incidents.get(match.group(1))
        if incident is None:
            return 404, {"error": {"message": "Not Found"}}, {}
        if not handler.headers.get("From"):
            return 400, {"error": {"message": "You must specify a From header"}}, {}
        request = handler.json_body()
        with vendors.lock:
            incident["responder_requests"].append(request)
        body = {"responder_request": {"incident": {"id": incident["id"]}, **request}}
        return 200, body, {}
    return 404, {"error": {"message": "Not Found"}}, {}


def _jira(handler: _FakeHandler, method: str, path: str) -> Answer:
    vendors = handler.vendors
    if not handler.headers.get("Authorization", "").startswith("Basic "):
        return 401, {"errorMessages": ["You are not authenticated."]}, {}
    if path == "/rest/api/2/search":
        message = "The requested API has been removed. Please migrate to /rest/api/3/search/jql."
        return 410, {"errorMessages": [message]}, {}
    if path == "/rest/api/2/search/jql":
        if method == "POST":
            jql = handler.json_body().get("jql", "")
        else:
            jql = (handler.query.get("jql") or [""])[0]
        clauses = re.findall(r'(\w+) = "([^"]*)"', jql)
        found = []
        for issue in vendors.issues.values():
            fields = issue["fields"]
            matches = all(
                (fields["project"]["key"] == value)
                if name == "project"
                else (value in fields.get("labels", []))
                for name, value in clauses
            )
            if matches:
                found.append({"id": issue["id"], "key": issue["key"]})
        return 200, {"issues": found, "isLast": True}, {}
    if (method, path) == ("POST", "/rest/api/2/issue"):
        fields = handler.json_body().get("fields") or {}
        missing = [name for name in ("project", "summary", "issuetype") if name not in fields]
        if missing:
            errors = {name: f"{name} is required." for name in missing}
            return 400, {"errorMessages": [], "errors": errors}, {}
        with vendors.lock:
            number = len(vendors.issues) + vendors.first_issue_number
            key = f"{fields['project']['key']}-{number}"
            issue_id = str(10000 + number)
            vendors.issues[key] = {
                "id": issue_id,
                "key": key,
                "fields": {**fields, "status": {"statusCategory": {"key": "new"}}},
            }
        self_url = f"{vendors.base_url}/jira/rest/api/2/issue/{issue_id}"
        return 201, {"id": issue_id, "key": key, "self": self_url}, {}
    return 404, {"errorMessages": ["Not found"]}, {}


def _slack(handler: _FakeHandler, method: str, path: str) -> Answer:
    vendors = handler.vendors
    if not handler.headers.get("Authorization", "").startswith("Bearer "):
        return 200, {"ok": False, "error": "not_authed"}, {}
    arguments = handler.json_body()
    channel = arguments.get("channel", "")
    if path == "/api/chat.postMessage":
        if not channel or not arguments.get("text"):
            return 200, {"ok": False, "error": "no_text" if channel else "channel_not_found"}, {}
        with vendors.lock:
            ts = f"{1_700_000_000 + len(vendors.messages)}.{len(vendors.messages):06d}"
            channel_id = "C" + re.sub(r"[^A-Z0-9]", "", channel.upper())[:10]
            message = {
                "channel": channel,
                "channel_id": channel_id,
                "ts": ts,
                "text": arguments["text"],
                "thread_ts": arguments.get("thread_ts"),
            }
            vendors.messages.append(message)
        return 200, {"ok": True, "channel": channel_id, "ts": ts, "message": message}, {}
    if path == "/api/chat.update":
        with vendors.lock:
            target = next(
                (
                    message
                    for message in vendors.messages
                    if message["ts"] == arguments.get("ts") and message["channel_id"] == channel
                ),
                None,
            )
            if target is None:
                return 200, {"ok": False, "error": "message_not_found"}, {}
            target["text"] = arguments["text"]
            vendors.updates.append(arguments)
        return 200, {"ok": True, "channel": channel, "ts": arguments["ts"]}, {}
    return 200, {"ok": False, "error": "unknown_method"}, {}


DRIVE_QUERY_CLAUSE = re.compile(r"(\w+) = '((?:[^'\\]|\\.)*)'")
APP_PROPERTY_CLAUSE = re.compile(r"appProperties has \{ key='([^']*)' and value='([^']*)' \}")


def _google(handler: _FakeHandler, method: str, path: str) -> Answer:
    vendors = handler.vendors
    if (method, path) == ("POST", "/token"):
        form = handler.json_body()
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return 400, {"error": "unsupported_grant_type"}, {}
        vendors.tokens_issued += 1
        return 200, {"access_token": "fake-drive-access", "expires_in": 3600}, {}
    if not handler.headers.get("Authorization", "").startswith("Bearer "):
        return 401, {"error": {"code": 401, "message": "Login Required"}}, {}
    if (method, path) == ("GET", "/drive/v3/files"):
        query = (handler.query.get("q") or [""])[0]
        found = [file for file in vendors.drive_files.values() if _matches(file, query)]
        return 200, {"files": found}, {}
    if (method, path) == ("POST", "/upload/drive/v3/files"):
        content_type = handler.headers.get("Content-Type", "")
        message = email.parser.BytesParser().parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + handler.body
        )
        parts = message.get_payload()
        metadata = json.loads(parts[0].get_payload(decode=True))
        content = parts[1].get_payload(decode=True)
        with vendors.lock:
            file_id = f"FILE{vendors.id_prefix}{len(vendors.drive_files):04d}"
            stored = {
                "id": file_id,
                "name": metadata["name"],
                "mimeType": metadata.get("mimeType", ""),
                "parents": metadata.get("parents", []),
                "appProperties": metadata.get("appProperties", {}),
                "webViewLink": f"https://drive.example.org/file/{file_id}",
            }
            vendors.drive_files[file_id] = stored
            vendors.uploads.append({**stored, "content": content})
        return 200, stored, {}
    return 404, {"error": {"code": 404, "message": "Not Found"}}, {}


def _matches(file: dict[str, Any], query: str) -> bool:
    for key, value in APP_PROPERTY_CLAUSE.findall(query):
        if file["appProperties"].get(key) != value:
            return False
    query = APP_PROPERTY_CLAUSE.sub("", query)
    for name, value in DRIVE_QUERY_CLAUSE.findall(query):
        if str(file.get(name, "")) != value.replace("\\'", "'"):
            return False
    return True


ROUTES = {
    "pagerduty-events": _pagerduty_events,
    "pagerduty": _pagerduty_rest,
    "jira": _jira,
    "slack": _slack,
    "google": _google,
}
