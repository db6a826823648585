"""GitHub code scanning alerts (the security-scan workflow) and Dependabot alerts.

Verified with ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>``. A redelivery
carries the same ``X-GitHub-Delivery``. Alerts about one rule (code scanning) or one
advisory (Dependabot) in one repository share an incident.
"""

from __future__ import annotations

from incidents import severity_matrix
from incidents.choices import AlertSignal, AlertSource
from incidents.services import AlertInput
from integrations.webhooks.base import (
    Receiver,
    Reply,
    SigningContext,
    WebhookError,
    check_hmac,
    hub_signature,
    optional,
    parse_iso_datetime,
    replace_header,
    require,
    require_secret,
    shorten,
)

SIGNATURE_HEADER = "X-Hub-Signature-256"
EVENT_HEADER = "X-GitHub-Event"
DELIVERY_HEADER = "X-GitHub-Delivery"

TRIGGER_ACTIONS = {
    "created",
    "reopened",
    "reopened_by_user",
    "appeared_in_branch",
    "reintroduced",
    "auto_reopened",
}
RECOVERY_ACTIONS = {"fixed", "closed", "closed_by_user", "dismissed", "auto_dismissed"}


class GitHubReceiver(Receiver):
    source = AlertSource.GITHUB
    request_fields = {"external_id": DELIVERY_HEADER}

    def verify(self) -> None:
        secret = require_secret("GITHUB_WEBHOOK_SECRET", SIGNATURE_HEADER)
        given = self.header(SIGNATURE_HEADER)
        if not given.startswith("sha256="):
            raise WebhookError(401, SIGNATURE_HEADER, f"{SIGNATURE_HEADER} must be sha256=<hex>.")
        check_hmac(hub_signature(secret, self.body), given, SIGNATURE_HEADER)

    def handle(self) -> Reply | list[AlertInput]:
        event = self.headers.get(EVENT_HEADER, "").strip()
        if not event:
            raise WebhookError(400, EVENT_HEADER, f"The {EVENT_HEADER} header is missing.")
        delivery = self.headers.get(DELIVERY_HEADER, "").strip()
        if not delivery:
            raise WebhookError(400, DELIVERY_HEADER, f"The {DELIVERY_HEADER} header is missing.")
        payload = self.json_object()

        if event == "ping":
            return Reply({"status": "pong", "hook_id": payload.get("hook_id")})
        if event not in ("code_scanning_alert", "dependabot_alert"):
            return Reply({"status": "ignored", "note": f"GitHub event {event!r} is not handled."})

        action = require(payload, "action", str)
        if action in TRIGGER_ACTIONS:
            signal = AlertSignal.TRIGGER
        elif action in RECOVERY_ACTIONS:
            signal = AlertSignal.RECOVERY
        else:
            return Reply(
                {"status": "ignored", "note": f"{event} action {action!r} is not handled."}
            )
        repository = require(payload, "repository.full_name", str)
        alert = require(payload, "alert", dict)
        if event == "code_scanning_alert":
            return [self._code_scanning(delivery, action, signal, repository, alert, payload)]
        return [self._dependabot(delivery, action, signal, repository, alert, payload)]

    def _code_scanning(self, delivery, action, signal, repository, alert, payload) -> AlertInput:
        rule_id = require(payload, "alert.rule.id", str)
        rule = alert["rule"]
        suggestion = severity_matrix.suggest_for_code_scanning(
            optional(alert, "rule.security_severity_level", kind=str, at="alert"),
            optional(alert, "rule.severity", kind=str, at="alert"),
        )
        instance = alert.get("most_recent_instance")
        instance_path = "alert.most_recent_instance"
        if not isinstance(instance, dict):
            instances = optional(alert, "instances", [], kind=list, at="alert")
            instance = instances[0] if instances and isinstance(instances[0], dict) else {}
            instance_path = "alert.instances.0"
        location = optional(instance, "location", {}, kind=dict, at=instance_path)
        where = location.get("path", "")
        if where and location.get("start_line"):
            where = f"{where}:{location['start_line']}"
        tool = optional(alert, "tool.name", "code scanning")
        description = rule.get("description") or rule.get("name") or rule_id
        summary = [
            f"{tool} rule {rule_id} ({action}) in {repository}",
            f"at {where} on {instance.get('ref', payload.get('ref', ''))}".rstrip(),
            optional(instance, "message.text", "", kind=str, at=instance_path),
            f"Found by {instance['analysis_key']}" if instance.get("analysis_key") else "",
            optional(alert, "html_url", "", kind=str, at="alert"),
        ]
        return AlertInput(
            source=self.source,
            external_id=delivery,
            dedup_key=f"{repository}:code-scanning:{rule_id}",
            signal=signal,
            title=shorten(f"Code scanning: {description} in {repository}"),
            category=suggestion.category,
            severity=suggestion.severity,
            payload=payload,
            summary="\n".join(line for line in summary if line and line != "at  on"),
            occurred_at=_time(alert, ("fixed_at", "dismissed_at", "updated_at", "created_at")),
            service_slugs=suggestion.services,
        )

    def _dependabot(self, delivery, action, signal, repository, alert, payload) -> AlertInput:
        ghsa = require(payload, "alert.security_advisory.ghsa_id", str)
        advisory = alert["security_advisory"]
        severity = optional(alert, "security_advisory.severity", kind=str, at="alert") or optional(
            alert, "security_vulnerability.severity", kind=str, at="alert"
        )
        suggestion = severity_matrix.suggest_for_dependabot(severity)
        package = optional(alert, "dependency.package.name", "") or optional(
            alert, "security_vulnerability.package.name", ""
        )
        patched = optional(alert, "security_vulnerability.first_patched_version.identifier", "")
        summary = [
            f"{ghsa} {advisory.get('cve_id') or ''} ({action}) in {repository}".replace("  ", " "),
            f"{package} {optional(alert, 'security_vulnerability.vulnerable_version_range', '')}"
            + (f", fixed in {patched}" if patched else ""),
            optional(alert, "dependency.manifest_path", "", kind=str, at="alert"),
            optional(alert, "html_url", "", kind=str, at="alert"),
        ]
        title = advisory.get("summary") or ghsa
        return AlertInput(
            source=self.source,
            external_id=delivery,
            dedup_key=f"{repository}:dependabot:{ghsa}",
            signal=signal,
            title=shorten(f"Dependabot: {title} ({package or ghsa}) in {repository}"),
            category=suggestion.category,
            severity=suggestion.severity,
            payload=payload,
            summary="\n".join(line.strip() for line in summary if line.strip()),
            occurred_at=_time(
                alert, ("fixed_at", "dismissed_at", "auto_dismissed_at", "updated_at", "created_at")
            ),
            service_slugs=suggestion.services,
        )

    @classmethod
    def sign(
        cls, body: bytes, headers: dict[str, str], context: SigningContext
    ) -> tuple[bytes, dict[str, str]]:
        secret = require_secret("GITHUB_WEBHOOK_SECRET", SIGNATURE_HEADER)
        return body, replace_header(headers, SIGNATURE_HEADER, hub_signature(secret, body))


def _time(alert: dict, names: tuple[str, ...]):
    for name in names:
        if alert.get(name):
            try:
                return parse_iso_datetime(alert[name], f"alert.{name}")
            except WebhookError:
                return None
    return None
