"""The timeline of a SEV1 privacy incident, shared by the end-to-end tests.

Times are minutes after the Zendesk escalation arrives at START (Tuesday 10 March 2026,
09:00 UTC). Each step happens at its time, and the sweep runs at every step.
"""

import datetime as dt

from incidents.choices import AlertSignal, AlertSource, ClockKind, ClockState, TimelineKind
from incidents.models import Clock
from incidents.services import AlertInput
from incidents.severity_matrix import suggest_for_zendesk
from tests.response.conftest import START

SUGGESTION = suggest_for_zendesk("urgent", ["privacy", "web"])

ZENDESK_ESCALATION = AlertInput(
    source=AlertSource.ZENDESK,
    external_id="zendesk-ticket-4821-escalation-1",
    dedup_key="zendesk:ticket:4821",
    signal=AlertSignal.TRIGGER,
    title="Member reports seeing another member's profile and e-mail",
    summary="Ticket 4821: after signing in, a member saw another member's profile page.",
    category=SUGGESTION.category,
    severity=SUGGESTION.severity,
    payload={"ticket": {"id": 4821, "priority": "urgent", "tags": ["privacy", "web"]}},
    service_slugs=SUGGESTION.services,
)

DAY = 24 * 60

TRIAGE_AT = 3
ROLES_AT = 4
RUNBOOK_AT = 5
REMINDER_AT = 10
ENGAGED_AT = 12
MITIGATING_AT = 15
FIRST_UPDATE_AT = 42
# The second update is due 30 minutes after the first, at 72, and is missed.
MISSED_CHECK_AT = 72
SECOND_UPDATE_AT = 80
MONITORING_AT = 90
TOO_EARLY_AT = MONITORING_AT + DAY - 1
WINDOW_DONE_AT = MONITORING_AT + DAY
RESOLVED_AT = WINDOW_DONE_AT + 1

# Resolved on Wednesday 11 March: five business days later is Wednesday 18 March.
RETROSPECTIVE_DUE = dt.date(2026, 3, 18)
RETROSPECTIVE_HELD = dt.datetime(2026, 3, 16, 14, 0, tzinfo=dt.UTC)

WRITE_UP = {
    "summary": "A cached profile page was served to the wrong member.",
    "impact": "Three members saw one other member's name and e-mail address.",
    "contributing_factors": "The cache key omitted the member id after a refactor.",
    "went_well": "The security lead engaged within 12 minutes.",
    "went_poorly": "The second stakeholder update was 8 minutes late.",
    "lessons": "Cache keys for member pages are reviewed by security.",
}

EXPECTED_TIMELINE_KINDS = {
    TimelineKind.CREATED,
    TimelineKind.ALERT,
    TimelineKind.TRIAGE,
    TimelineKind.STATUS,
    TimelineKind.ROLE,
    TimelineKind.RUNBOOK,
    TimelineKind.ACTION,
    TimelineKind.CLOCK,
    TimelineKind.NOTIFICATION,
    TimelineKind.COMMUNICATION,
    TimelineKind.RETROSPECTIVE,
    TimelineKind.REMEDIATION,
}


def at(minutes: int) -> dt.datetime:
    return START + dt.timedelta(minutes=minutes)


def clock_states(incident) -> dict[str, str]:
    return {clock.kind: clock.state for clock in Clock.objects.filter(incident=incident)}


def assert_journey_outcome(incident) -> None:
    """Check the clocks and the timeline the journey must leave behind."""
    assert clock_states(incident) == {
        ClockKind.SECURITY_ENGAGEMENT: ClockState.MET,
        ClockKind.UPDATE: ClockState.STOPPED,
        ClockKind.MONITORING: ClockState.MET,
        ClockKind.RETROSPECTIVE: ClockState.MET,
    }
    update = Clock.objects.get(incident=incident, kind=ClockKind.UPDATE)
    assert update.breach_count == 1
    engagement = Clock.objects.get(incident=incident, kind=ClockKind.SECURITY_ENGAGEMENT)
    assert engagement.met_at == at(ENGAGED_AT)
    assert engagement.reminder_count == 1

    timeline = incident.timeline
    kinds = set(timeline.values_list("kind", flat=True))
    assert kinds >= EXPECTED_TIMELINE_KINDS
    assert not timeline.filter(kind=TimelineKind.PAGE).exists()
    missed = timeline.filter(kind=TimelineKind.CLOCK, text__startswith="Stakeholder update missed")
    assert missed.count() == 1
    reminder = timeline.get(
        kind=TimelineKind.NOTIFICATION, text__contains="security lead has not acknowledged"
    )
    assert reminder.occurred_at == at(REMINDER_AT)
    statuses = list(timeline.filter(kind=TimelineKind.STATUS).values_list("data__to", flat=True))
    assert statuses == ["triaged", "mitigating", "monitoring", "resolved", "closed"]
