import itertools

import factory
from django.contrib.auth import get_user_model

from incidents.actors import Actor
from incidents.choices import AlertSignal, AlertSource, Category, Severity
from incidents.services import AlertInput, incident_create

_delivery_numbers = itertools.count(1)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"responder{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    is_staff = True


def make_incident(*, actor: Actor | None = None, **overrides):
    """Open an incident through the service, as every caller does."""
    if actor is None:
        actor = Actor.for_user(UserFactory())
    fields = {
        "title": "Communities API p95 latency above 250 ms",
        "category": Category.AVAILABILITY,
        "severity": Severity.SEV2,
    }
    fields.update(overrides)
    return incident_create(actor=actor, **fields)


def make_alert_input(**overrides) -> AlertInput:
    """Build a parsed delivery for alert_ingest. Each call gets a new external id."""
    fields = {
        "source": AlertSource.PAGERDUTY,
        "external_id": f"delivery-{next(_delivery_numbers)}",
        "signal": AlertSignal.TRIGGER,
        "title": "Database CPU above 95%",
        "category": Category.AVAILABILITY,
        "severity": Severity.SEV2,
        "payload": {"summary": "Database CPU above 95%"},
    }
    fields.update(overrides)
    fields.setdefault("dedup_key", fields["external_id"])
    return AlertInput(**fields)
