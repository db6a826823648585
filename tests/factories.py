import itertools

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from incidents.actors import Actor
from incidents.choices import AlertSignal, AlertSource, Category, Severity
from incidents.services import AlertInput, incident_create

_delivery_numbers = itertools.count(1)

# A ResponderFactory user has every permission of these apps.
RESPONDER_APPS = ("incidents", "reports")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"responder{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    is_staff = True

    @factory.post_generation
    def permissions(user, create, names, **kwargs):
        """Grant the named permissions, such as ["incidents.view_incident"], or by default none."""
        if create and names:
            user.user_permissions.add(*(permission(name) for name in names))


class ResponderFactory(UserFactory):
    """A staff user with every permission of the incidents and reports apps.

    The API checks these model permissions, so tests that are not about permissions
    use a responder.
    """

    @factory.post_generation
    def app_permissions(user, create, extracted, **kwargs):
        if create:
            granted = Permission.objects.filter(content_type__app_label__in=RESPONDER_APPS)
            user.user_permissions.add(*granted)


def permission(name: str) -> Permission:
    """Look up a permission by its `has_perm` name, such as "incidents.view_incident"."""
    app_label, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


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
