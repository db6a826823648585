"""Celery tasks of the integrations: thin wrappers that take ids and call the outbox."""

import logging
import re

import requests
from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from incidents.actors import Actor
from incidents.audit import acting_as
from integrations import outbox
from integrations.http import http_session

logger = logging.getLogger(__name__)

_SUBSCRIPTION_ARN = re.compile(r"<SubscriptionArn>([^<]+)</SubscriptionArn>")


@shared_task
def confirm_sns_subscription_task(subscription_id: int) -> str:
    """Confirm an SNS subscription by fetching its SubscribeURL; returns the new status.

    Does nothing unless SNS_CONFIRM_SUBSCRIPTIONS is on. Failures are recorded on the
    row rather than raised, so a later confirmation message can try again.
    """
    from integrations.models import SnsSubscription, SnsSubscriptionStatus
    from integrations.webhooks.base import WebhookError
    from integrations.webhooks.sns import check_sns_url

    subscription = SnsSubscription.objects.get(pk=subscription_id)
    if not settings.SNS_CONFIRM_SUBSCRIPTIONS:
        return subscription.status

    error = ""
    arn = ""
    try:
        check_sns_url(subscription.subscribe_url, "SubscribeURL", pem=False)
        response = http_session().get(subscription.subscribe_url)
        if response.status_code == 200:
            match = _SUBSCRIPTION_ARN.search(response.text)
            arn = match.group(1).strip() if match else ""
        else:
            error = f"SubscribeURL answered HTTP {response.status_code}."
    except WebhookError as refused:
        error = refused.message
    except requests.RequestException as failure:
        error = f"SubscribeURL could not be fetched: {type(failure).__name__}."

    with transaction.atomic(), acting_as(Actor.for_integration("cloudwatch")):
        subscription = SnsSubscription.objects.select_for_update().get(pk=subscription_id)
        if error:
            subscription.status = SnsSubscriptionStatus.FAILED
            subscription.last_error = error
            subscription.note = "Confirmation failed; SNS resends the confirmation, or retry it."
        else:
            subscription.status = SnsSubscriptionStatus.CONFIRMED
            subscription.confirmed_at = timezone.now()
            subscription.subscription_arn = arn
            subscription.last_error = ""
            subscription.note = ""
        subscription.save()

    logger.info("SNS subscription %s: %s", subscription.topic_arn, subscription.status)
    return subscription.status


# Results are not stored: the outbox row is the record, and a result backend that is
# down would otherwise fail a delivery that succeeded.


@shared_task(ignore_result=True)
def outbox_deliver_task(message_id: int) -> None:
    """Make one attempt at an outbox row; a row that is not due or is taken is left alone."""
    outbox.outbox_deliver(message_id=message_id)


@shared_task(ignore_result=True)
def outbox_sweep_task() -> int:
    """Queue the rows whose delivery is due or whose task was lost; runs on a beat schedule."""
    return outbox.outbox_sweep()
