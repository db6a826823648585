import factory
from django.contrib.auth import get_user_model

from incidents.actors import Actor
from incidents.choices import Category, Severity
from incidents.services import incident_create


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
