"""CloudWatch alarms (WAF alarms included) delivered by Amazon SNS over HTTPS.

SNS signs a JSON envelope, so verification reads the envelope's fields (a JSON parse of
the raw body, nothing more) and checks the RSA signature before the alarm inside
``Message`` is parsed or anything is stored.

- Notification: ALARM is a trigger, OK a recovery, INSUFFICIENT_DATA information only.
  dedup_key is the AlarmArn; a redelivery is recognised by its MessageId.
- SubscriptionConfirmation: recorded as an ``SnsSubscription``; confirmed by
  ``confirm_sns_subscription_task`` only when ``SNS_CONFIRM_SUBSCRIPTIONS`` is on.
- UnsubscribeConfirmation: recorded on the subscription.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from incidents import severity_matrix
from incidents.actors import Actor
from incidents.audit import acting_as
from incidents.choices import AlertSignal, AlertSource
from incidents.services import AlertInput
from incidents.tasks import enqueue_on_commit
from integrations.webhooks import sns
from integrations.webhooks.base import (
    Receiver,
    Reply,
    SigningContext,
    WebhookError,
    optional,
    parse_iso_datetime,
    parse_json_object,
    require,
    shorten,
)

MESSAGE_TYPE_HEADER = "x-amz-sns-message-type"
SIGNALS = {
    "ALARM": AlertSignal.TRIGGER,
    "OK": AlertSignal.RECOVERY,
    "INSUFFICIENT_DATA": AlertSignal.INFO,
}
# Signed messages older than this, or this far in the future, are refused as replays.
CLOCK_SKEW = timedelta(minutes=5)


def _max_age() -> timedelta:
    return timedelta(seconds=settings.SNS_MAX_MESSAGE_AGE_SECONDS)


class CloudWatchReceiver(Receiver):
    source = AlertSource.CLOUDWATCH
    request_fields = {
        "external_id": "MessageId",
        "dedup_key": "AlarmArn",
        "message_id": "MessageId",
        "topic_arn": "TopicArn",
        "token": "Token",
        "subscribe_url": "SubscribeURL",
    }

    def verify(self) -> None:
        envelope = self.json_object()
        self.envelope = envelope
        message_type = require(envelope, "Type", str)
        if message_type not in sns.MESSAGE_TYPES:
            raise WebhookError(400, "Type", f"SNS message type {message_type!r} is not handled.")
        header = self.headers.get(MESSAGE_TYPE_HEADER, "")
        if not header:
            raise WebhookError(
                400, MESSAGE_TYPE_HEADER, f"The {MESSAGE_TYPE_HEADER} header is missing."
            )
        if header != message_type:
            raise WebhookError(
                400, MESSAGE_TYPE_HEADER, f"{MESSAGE_TYPE_HEADER} does not match the body Type."
            )
        keys = sns.MESSAGE_TYPES[message_type]
        for key in keys:
            if key != "Subject":
                require(envelope, key, str)
        if "Subject" in envelope and not isinstance(envelope["Subject"], str | None):
            raise WebhookError(400, "Subject", "Subject must be a string.")
        require(envelope, "SigningCertURL", str)

        sent_at = parse_iso_datetime(envelope["Timestamp"], "Timestamp")
        now = timezone.now()
        if sent_at < now - _max_age() or sent_at > now + CLOCK_SKEW:
            raise WebhookError(
                401,
                "Timestamp",
                "The SNS message Timestamp is stale or in the future: refused as a replay.",
            )
        sns.verify_message(envelope)

    def handle(self) -> Reply | list[AlertInput]:
        message_type = self.envelope["Type"]
        if message_type == "SubscriptionConfirmation":
            return self._subscription_confirmation()
        if message_type == "UnsubscribeConfirmation":
            return self._unsubscribe_confirmation()
        return [self._alarm()]

    def _alarm(self) -> AlertInput:
        envelope = self.envelope
        alarm = parse_json_object(envelope["Message"], "Message")
        name = require(alarm, "AlarmName", str)
        arn = require(alarm, "AlarmArn", str)
        state = require(alarm, "NewStateValue", str)
        if state not in SIGNALS:
            raise WebhookError(400, "NewStateValue", f"Alarm state {state!r} is not known.")
        namespace, metric = _metric_of(alarm)
        suggestion = severity_matrix.suggest_for_cloudwatch(namespace, metric)

        description = optional(alarm, "AlarmDescription", "")
        title = f"{state}: {name}" + (f" – {description}" if description else "")
        summary_lines = [
            optional(alarm, "NewStateReason", "", kind=str),
            f"Alarm {arn} ({optional(alarm, 'Region', '')}) moved from "
            f"{optional(alarm, 'OldStateValue', '?')} to {state}.",
        ]
        if namespace or metric:
            summary_lines.append(f"Metric {namespace} {metric}".rstrip())
        occurred_at = _parse_cloudwatch_time(optional(alarm, "StateChangeTime"))
        return AlertInput(
            source=self.source,
            external_id=envelope["MessageId"],
            dedup_key=arn,
            signal=SIGNALS[state],
            title=shorten(title),
            category=suggestion.category,
            severity=suggestion.severity,
            payload=envelope,
            summary="\n".join(line for line in summary_lines if line),
            occurred_at=occurred_at,
            service_slugs=suggestion.services,
        )

    def _subscription_confirmation(self) -> Reply:
        from integrations.models import (
            CONFIRMATION_DISABLED_NOTE,
            SnsSubscription,
            SnsSubscriptionStatus,
        )
        from integrations.tasks import confirm_sns_subscription_task

        envelope = self.envelope
        subscribe_url = sns.check_sns_url(envelope["SubscribeURL"], "SubscribeURL", pem=False)
        with acting_as(Actor.for_integration(self.source)):
            subscription = (
                SnsSubscription.objects.select_for_update()
                .filter(topic_arn=envelope["TopicArn"])
                .first()
            )
            if subscription is not None and subscription.message_id == envelope["MessageId"]:
                return Reply(
                    {"status": "duplicate", "subscription": subscription.status}, status=200
                )
            subscription = subscription or SnsSubscription(topic_arn=envelope["TopicArn"])
            subscription.subscribe_url = subscribe_url
            subscription.token = envelope["Token"]
            subscription.message_id = envelope["MessageId"]
            subscription.last_error = ""
            if settings.SNS_CONFIRM_SUBSCRIPTIONS:
                subscription.status = SnsSubscriptionStatus.CONFIRMING
                subscription.note = "Confirmation queued: the SubscribeURL will be fetched."
            else:
                subscription.status = SnsSubscriptionStatus.PENDING
                subscription.note = CONFIRMATION_DISABLED_NOTE
            subscription.full_clean(validate_unique=False)
            subscription.save()
        if settings.SNS_CONFIRM_SUBSCRIPTIONS:
            enqueue_on_commit(confirm_sns_subscription_task, subscription.pk)
        return Reply(
            {
                "status": "subscription recorded",
                "subscription": subscription.status,
                "topic_arn": subscription.topic_arn,
                "note": subscription.note,
            },
            status=200,
        )

    def _unsubscribe_confirmation(self) -> Reply:
        from integrations.models import SnsSubscription, SnsSubscriptionStatus

        with acting_as(Actor.for_integration(self.source)):
            subscription = SnsSubscription.objects.filter(
                topic_arn=self.envelope["TopicArn"]
            ).first()
            if subscription is None:
                return Reply({"status": "ignored", "note": "No subscription for that topic."})
            subscription.status = SnsSubscriptionStatus.UNSUBSCRIBED
            subscription.message_id = self.envelope["MessageId"]
            subscription.note = "SNS confirmed that this endpoint was unsubscribed."
            subscription.full_clean(validate_unique=False)
            subscription.save()
        return Reply({"status": "unsubscribed", "topic_arn": subscription.topic_arn})

    @classmethod
    def sign(
        cls, body: bytes, headers: dict[str, str], context: SigningContext
    ) -> tuple[bytes, dict[str, str]]:
        if context.sns_key_path is None:
            raise ValueError("Re-signing SNS messages needs the demo signing key (--sns-key).")
        message = json.loads(body)
        now = context.now.astimezone(UTC)
        message["Timestamp"] = now.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        signed = sns.sign_message(message, context.sns_key_path.read_bytes())
        return json.dumps(signed, indent=2).encode(), dict(headers)


def _metric_of(alarm: dict) -> tuple[str, str]:
    trigger = optional(alarm, "Trigger", {})
    if not isinstance(trigger, dict):
        return "", ""
    namespace = optional(trigger, "Namespace", "", kind=str, at="Trigger")
    metric = optional(trigger, "MetricName", "", kind=str, at="Trigger")
    if not namespace:
        # Metric math alarms list their metrics instead.
        for query in optional(trigger, "Metrics", [], kind=list, at="Trigger"):
            stat_metric = optional(query, "MetricStat.Metric", {})
            if isinstance(stat_metric, dict) and stat_metric.get("Namespace"):
                return stat_metric["Namespace"], stat_metric.get("MetricName") or ""
    return namespace, metric


def _parse_cloudwatch_time(value) -> datetime | None:
    if not value:
        return None
    try:
        return parse_iso_datetime(value, "StateChangeTime")
    except WebhookError:
        return None
