"""The triage questions, and the severity level the matrix suggests for their answers."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from incidents.choices import DataExposure, MemberImpact, Severity
from incidents.models import SeverityLevel

# The platform SLOs: API p95 latency below 250 ms, websocket delivery below 2 s.
API_P95_SLO_MS = 250
WEBSOCKET_DELIVERY_SLO_MS = 2000


@dataclass(frozen=True)
class TriageAnswers:
    member_impact: str
    data_exposure: str
    services_affected: int = 0
    api_p95_ms: int | None = None
    websocket_delivery_ms: int | None = None

    def __post_init__(self) -> None:
        if self.member_impact not in MemberImpact.values:
            raise ValidationError(
                {
                    "member_impact": f"Unknown member impact {self.member_impact!r}: "
                    f"use one of {MemberImpact.values}."
                }
            )
        if self.data_exposure not in DataExposure.values:
            raise ValidationError(
                {
                    "data_exposure": f"Unknown data exposure {self.data_exposure!r}: "
                    f"use one of {DataExposure.values}."
                }
            )
        for name in ("services_affected", "api_p95_ms", "websocket_delivery_ms"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValidationError({name: f"{name} must be zero or more, not {value}."})

    @property
    def slo_breached(self) -> bool:
        api = self.api_p95_ms is not None and self.api_p95_ms >= API_P95_SLO_MS
        websocket = (
            self.websocket_delivery_ms is not None
            and self.websocket_delivery_ms >= WEBSOCKET_DELIVERY_SLO_MS
        )
        return api or websocket


def level_matches(level: SeverityLevel, answers: TriageAnswers) -> bool:
    """Return whether any criterion of the level is met. Choice values sort by reach."""
    if level.member_impact and answers.member_impact >= level.member_impact:
        return True
    if level.data_exposure and answers.data_exposure >= level.data_exposure:
        return True
    if level.slo_breach and answers.slo_breached:
        return True
    minimum = level.min_services_affected
    return bool(minimum) and answers.services_affected >= minimum


def suggest_severity(answers: TriageAnswers, levels: Iterable[SeverityLevel] | None = None) -> str:
    """Return the most severe level whose criteria the answers meet, or the least severe."""
    if levels is None:
        levels = SeverityLevel.objects.all()
    ordered = sorted(levels, key=lambda level: level.level)
    for level in ordered:
        if level_matches(level, answers):
            return level.level
    return ordered[-1].level if ordered else Severity.SEV4
