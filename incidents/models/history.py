from django.db import models
from simple_history.models import HistoricalRecords


class IntegrationHistoryFields(models.Model):
    """Extra column on every historical model: the integration that made the change."""

    history_integration = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        abstract = True


def audited_history(**kwargs) -> HistoricalRecords:
    return HistoricalRecords(bases=[IntegrationHistoryFields], **kwargs)
