import pytest
from django.utils import timezone

from integrations.fakes import FakeVendors
from integrations.fakes.google import write_service_account
from integrations.models import OutboxMessage, OutboxStatus
from integrations.outbox import outbox_deliver_due


@pytest.fixture
def fakes():
    with FakeVendors(timeout_seconds=2) as vendors:
        yield vendors


@pytest.fixture
def live(settings, fakes, tmp_path):
    """Settings with every credential set and every client pointed at the fakes."""
    for name, value in fakes.settings().items():
        setattr(settings, name, value)
    settings.GOOGLE_SERVICE_ACCOUNT_FILE = write_service_account(
        tmp_path / "service-account.json", f"{fakes.base_url}/google/token"
    )
    settings.INTEGRATIONS_HTTP_TIMEOUT_SECONDS = 1
    return fakes


@pytest.fixture
def dry_run(settings):
    """Settings with no credentials at all, as a fresh checkout has."""
    for name in (
        "PAGERDUTY_ROUTING_KEY",
        "PAGERDUTY_API_TOKEN",
        "JIRA_URL",
        "JIRA_API_TOKEN",
        "SLACK_BOT_TOKEN",
        "GOOGLE_SERVICE_ACCOUNT_FILE",
    ):
        setattr(settings, name, "")
    return settings


def drain(time_machine, *, max_rounds: int = 200) -> int:
    """Deliver every row, moving the clock to each next attempt; return the rounds used."""
    for rounds in range(max_rounds):
        waiting = OutboxMessage.objects.filter(
            status__in=(OutboxStatus.PENDING, OutboxStatus.SENDING)
        )
        if not waiting.exists():
            return rounds
        if outbox_deliver_due():
            continue
        # Nothing was due: move the clock to the next scheduled attempt.
        later = waiting.filter(next_attempt_at__gt=timezone.now()).order_by("next_attempt_at")
        if not later.exists():
            raise AssertionError("Rows are waiting but none is due now or later")
        time_machine.move_to(later.first().next_attempt_at, tick=False)
    raise AssertionError(f"Rows still waiting after {max_rounds} rounds")
