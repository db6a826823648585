from django.db import models, transaction

from incidents.actors import Actor
from incidents.audit import acting_as
from incidents.models import CommunicationTemplate, SeverityLevel

REFERENCE_MODELS = (SeverityLevel, CommunicationTemplate)


def reference_save(*, instance: models.Model, actor: Actor) -> models.Model:
    """Validate and save staff-edited reference data: severity levels and templates.

    These rows carry no workflow, so validation is the model's own `clean`, and the
    history records who changed them.
    """
    if not isinstance(instance, REFERENCE_MODELS):
        raise TypeError(f"{type(instance).__name__} is not reference data.")
    instance.full_clean()
    with transaction.atomic(), acting_as(actor):
        instance.save()
    return instance
