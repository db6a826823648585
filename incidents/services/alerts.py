import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from incidents.actors import Actor
from incidents.audit import acting_as
from incidents.choices import AlertSignal, TimelineKind
from incidents.models import Alert, Incident, Service
from incidents.services.incidents import incident_create
from incidents.services.timeline import timeline_record

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AlertInput:
    """A verified, parsed delivery, ready to be stored."""

    source: str
    external_id: str
    dedup_key: str
    signal: str
    title: str
    category: str
    severity: str
    payload: Any
    summary: str = ""
    occurred_at: datetime | None = None
    service_slugs: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class IngestResult:
    alert: Alert
    incident: Incident | None
    duplicate: bool = False
    opened_incident: bool = False


def _lock_dedup_key(source: str, dedup_key: str) -> None:
    """Serialise intake for one alarm, rule or ticket until the transaction ends.

    Without it, two concurrent first alerts for one alarm could each open an incident.
    SQLite needs no lock because it allows one writer at a time.
    """
    if connection.vendor != "postgresql":
        return
    digest = hashlib.blake2b(f"{source}\0{dedup_key}".encode(), digest_size=8).digest()
    lock_id = int.from_bytes(digest, "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])


def _open_incident_for(source: str, dedup_key: str) -> Incident | None:
    return (
        Incident.objects.open()
        .filter(alerts__source=source, alerts__dedup_key=dedup_key)
        .order_by("-detected_at", "-id")
        .first()
    )


def alert_ingest(alert_input: AlertInput, *, actor: Actor | None = None) -> IngestResult:
    """Store an alert once and attach it to its incident, opening one for a new trigger.

    A redelivery (same source and external id) writes nothing and returns the stored
    alert. A trigger for an alarm, rule or ticket that already has an open incident
    joins that incident. A recovery is recorded on the open incident's timeline.
    The actor defaults to the source's integration; a person's manual report passes
    the reporting user.
    """
    if actor is None:
        actor = Actor.for_integration(alert_input.source)
    with transaction.atomic(), acting_as(actor):
        _lock_dedup_key(alert_input.source, alert_input.dedup_key)

        existing = Alert.objects.filter(
            source=alert_input.source, external_id=alert_input.external_id
        ).first()
        if existing is not None:
            logger.info(
                "Ignored redelivery of %s alert %s", alert_input.source, alert_input.external_id
            )
            return IngestResult(alert=existing, incident=existing.incident, duplicate=True)

        incident = _open_incident_for(alert_input.source, alert_input.dedup_key)
        opened = False
        if incident is None and alert_input.signal == AlertSignal.TRIGGER:
            incident = incident_create(
                actor=actor,
                title=alert_input.title,
                summary=alert_input.summary,
                category=alert_input.category,
                severity=alert_input.severity,
                services=Service.objects.filter(slug__in=alert_input.service_slugs),
            )
            opened = True

        alert = Alert(
            source=alert_input.source,
            external_id=alert_input.external_id,
            dedup_key=alert_input.dedup_key,
            signal=alert_input.signal,
            received_at=timezone.now(),
            occurred_at=alert_input.occurred_at,
            title=alert_input.title[:300],
            summary=alert_input.summary,
            suggested_category=alert_input.category,
            suggested_severity=alert_input.severity,
            payload=alert_input.payload,
            incident=incident,
        )
        alert.full_clean(validate_unique=False)
        try:
            with transaction.atomic():
                alert.save()
        except IntegrityError:
            # A concurrent delivery of the same id won the race after our check. Look it
            # up before marking this block for rollback, because a block marked for
            # rollback accepts no further queries.
            stored = Alert.objects.filter(
                source=alert_input.source, external_id=alert_input.external_id
            ).first()
            if stored is None:
                raise
            transaction.set_rollback(True)
            return IngestResult(alert=stored, incident=stored.incident, duplicate=True)

        if incident is not None:
            _record_alert_on_timeline(incident, alert, actor)

    return IngestResult(alert=alert, incident=incident, opened_incident=opened)


def _record_alert_on_timeline(incident: Incident, alert: Alert, actor: Actor) -> None:
    kind = TimelineKind.RECOVERY if alert.signal == AlertSignal.RECOVERY else TimelineKind.ALERT
    timeline_record(
        incident=incident,
        actor=actor,
        kind=kind,
        text=f"{alert.get_source_display()}: {alert.title}",
        data={
            "alert_id": alert.pk,
            "signal": alert.signal,
            "suggested_severity": alert.suggested_severity,
        },
    )
