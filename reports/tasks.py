import logging

from celery import shared_task

from incidents.actors import Actor

logger = logging.getLogger(__name__)


@shared_task
def report_export_task(incident_id: int, actor: dict) -> int:
    """Export one incident's report in the background; returns the export's id.

    The requesting user travels as `actor`, so the export and its history rows name
    that user rather than the worker.
    """
    from incidents.models import Incident
    from reports.services import report_export

    incident = Incident.objects.get(pk=incident_id)
    export = report_export(incident=incident, actor=Actor.from_task_argument(actor))
    logger.info("Exported the report of %s in the background as export %s", incident.key, export.pk)
    return export.pk
