"""Response metrics: MTTA and MTTR per incident, and their means per month and severity.

Drill incidents are left out. The figures are computed in Python over the selected
incidents, which suits the few hundred incidents a year this desk handles.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from incidents.choices import RETROSPECTIVE_SEVERITIES
from incidents.models import Incident

# SEV0 to SEV2 incidents that took longer than this to resolve are flagged.
MTTR_TARGET = timedelta(minutes=60)


@dataclass(frozen=True)
class IncidentFigures:
    key: str
    title: str
    severity: str
    month: date
    time_to_acknowledge: timedelta | None
    time_to_resolve: timedelta | None

    @property
    def mttr_exceeded(self) -> bool:
        return (
            self.severity in RETROSPECTIVE_SEVERITIES
            and self.time_to_resolve is not None
            and self.time_to_resolve > MTTR_TARGET
        )


@dataclass
class GroupFigures:
    month: date
    severity: str
    incidents: int = 0
    acknowledged: list[timedelta] = field(default_factory=list)
    resolved: list[timedelta] = field(default_factory=list)
    mttr_exceeded: int = 0

    @property
    def mean_time_to_acknowledge(self) -> timedelta | None:
        return _mean(self.acknowledged)

    @property
    def mean_time_to_resolve(self) -> timedelta | None:
        return _mean(self.resolved)


@dataclass(frozen=True)
class MetricsReport:
    incidents: list[IncidentFigures]
    groups: list[GroupFigures]

    @property
    def flagged(self) -> list[IncidentFigures]:
        return [figures for figures in self.incidents if figures.mttr_exceeded]


def _mean(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    return sum(values, timedelta()) / len(values)


def incident_figures(incident: Incident) -> IncidentFigures:
    detected = timezone.localdate(incident.detected_at)
    return IncidentFigures(
        key=incident.key,
        title=incident.title,
        severity=incident.severity,
        month=detected.replace(day=1),
        time_to_acknowledge=incident.time_to_acknowledge,
        time_to_resolve=incident.time_to_resolve,
    )


def response_metrics(incidents: QuerySet[Incident]) -> MetricsReport:
    """Figures for the given incidents, drills excluded, grouped by detection month."""
    rows = [
        incident_figures(incident)
        for incident in incidents.filter(is_drill=False).order_by("detected_at", "id")
    ]
    groups: dict[tuple[date, str], GroupFigures] = {}
    for row in rows:
        group = groups.setdefault(
            (row.month, row.severity), GroupFigures(month=row.month, severity=row.severity)
        )
        group.incidents += 1
        if row.time_to_acknowledge is not None:
            group.acknowledged.append(row.time_to_acknowledge)
        if row.time_to_resolve is not None:
            group.resolved.append(row.time_to_resolve)
        if row.mttr_exceeded:
            group.mttr_exceeded += 1
    ordered = [groups[key] for key in sorted(groups, key=lambda key: (key[0], key[1]))]
    return MetricsReport(incidents=rows, groups=ordered)
