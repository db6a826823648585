"""Firebase Crashlytics alerts, forwarded as CloudEvents by the relay Cloud Function.

Crashlytics has no webhook of its own: the function in docs/crashlytics-relay.md runs on
the Firebase Alerts Crashlytics triggers and posts the CloudEvent unchanged, signed with
``X-Relay-Timestamp`` (Unix seconds) and
``X-Relay-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>``.
A redelivery carries the same CloudEvent ``id``; alerts about one Crashlytics issue id
share an incident. A stability digest lists several trending issues: each becomes an
alert of its own, all stored in one transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from django.conf import settings

from incidents import severity_matrix
from incidents.choices import AlertSignal, AlertSource
from incidents.services import AlertInput
from integrations.webhooks.base import (
    Receiver,
    Reply,
    SigningContext,
    WebhookError,
    check_hmac,
    optional,
    parse_iso_datetime,
    replace_header,
    require,
    require_secret,
    shorten,
)

TIMESTAMP_HEADER = "X-Relay-Timestamp"
SIGNATURE_HEADER = "X-Relay-Signature"


def relay_signature(secret: bytes, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class CrashlyticsReceiver(Receiver):
    source = AlertSource.CRASHLYTICS
    request_fields = {"external_id": "id", "dedup_key": "data.payload.issue.id"}

    def verify(self) -> None:
        secret = require_secret("CRASHLYTICS_RELAY_SECRET", SIGNATURE_HEADER)
        timestamp = self.header(TIMESTAMP_HEADER)
        given = self.header(SIGNATURE_HEADER)
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            raise WebhookError(401, TIMESTAMP_HEADER, f"{TIMESTAMP_HEADER} is not Unix seconds.")
        if abs(time.time() - int(timestamp)) > settings.WEBHOOK_REPLAY_WINDOW_SECONDS:
            raise WebhookError(
                401, TIMESTAMP_HEADER, f"{TIMESTAMP_HEADER} is outside the replay window."
            )
        if not given.startswith("sha256="):
            raise WebhookError(401, SIGNATURE_HEADER, f"{SIGNATURE_HEADER} must be sha256=<hex>.")
        check_hmac(relay_signature(secret, timestamp, self.body), given, SIGNATURE_HEADER)

    def handle(self) -> Reply | list[AlertInput]:
        event = self.json_object()
        event_id = require(event, "id", str)
        alert_type = event.get("alerttype") or event.get("alertType")
        if not alert_type:
            raise WebhookError(400, "alerttype", "The field alerttype is missing.")
        if not str(alert_type).startswith("crashlytics."):
            return Reply(
                {"status": "ignored", "note": f"Firebase alert {alert_type!r} is not Crashlytics."}
            )
        payload = require(event, "data.payload", dict)
        app_id = event.get("appid") or event.get("appId") or ""
        time_field = "data.createTime" if optional(event, "data.createTime") else "time"
        occurred_at = parse_iso_datetime(optional(event, time_field), time_field)

        if "trendingIssues" in payload:
            issues = require(event, "data.payload.trendingIssues", list)
            if not issues:
                return Reply({"status": "ignored", "note": "The digest lists no issue."})
            entries = [(f"data.payload.trendingIssues.{n}", item) for n, item in enumerate(issues)]
        else:
            entries = [("data.payload", payload)]

        alerts = []
        for path, entry in entries:
            issue = entry.get("issue") if isinstance(entry, dict) else None
            if not isinstance(issue, dict) or not issue.get("id"):
                raise WebhookError(
                    400, f"{path}.issue.id", f"The field {path}.issue.id is missing."
                )
            external_id = event_id if len(entries) == 1 else f"{event_id}/{issue['id']}"
            alerts.append(
                self._alert(external_id, alert_type, app_id, issue, entry, event, occurred_at, path)
            )
        return alerts

    def _alert(self, external_id, alert_type, app_id, issue, entry, event, occurred_at, path):
        suggestion = severity_matrix.suggest_for_crashlytics(alert_type)
        signal = (
            AlertSignal.TRIGGER
            if severity_matrix.crashlytics_opens_incident(alert_type)
            else AlertSignal.INFO
        )
        kind = alert_type.split(".", 1)[1]
        title = issue.get("title") or issue["id"]
        where = optional(issue, "subtitle", "", kind=str, at=f"{path}.issue")
        details = [
            f"Crashlytics {kind} for issue {issue['id']} in app {app_id}",
            where,
            f"App version {issue['appVersion']}" if issue.get("appVersion") else "",
        ]
        for name, label in (("crashCount", "crashes"), ("crashPercentage", "% of crashes")):
            if entry.get(name) is not None:
                details.append(f"{entry[name]} {label}")
        return AlertInput(
            source=self.source,
            external_id=external_id,
            dedup_key=f"issue:{issue['id']}",
            signal=signal,
            title=shorten(f"Crashlytics {kind}: {title}" + (f" in {where}" if where else "")),
            category=suggestion.category,
            severity=suggestion.severity,
            payload=event,
            summary="\n".join(line for line in details if line),
            occurred_at=occurred_at,
            service_slugs=suggestion.services,
        )

    @classmethod
    def sign(
        cls, body: bytes, headers: dict[str, str], context: SigningContext
    ) -> tuple[bytes, dict[str, str]]:
        secret = require_secret("CRASHLYTICS_RELAY_SECRET", SIGNATURE_HEADER)
        timestamp = str(int(context.now.timestamp()))
        headers = replace_header(headers, TIMESTAMP_HEADER, timestamp)
        return body, replace_header(
            headers, SIGNATURE_HEADER, relay_signature(secret, timestamp, body)
        )
