import time
from collections import Counter

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import override_settings

from incidents.actors import Actor
from incidents.choices import Category, Severity
from incidents.services import incident_create
from integrations.fakes import FakeVendors, Fault
from integrations.models import OutboxMessage, OutboxStatus, Target
from integrations.outbox import outbox_deliver_due

FAULTS = (Fault("500"), Fault("429", seconds=0), Fault("lost"), Fault("malformed"))


class Command(BaseCommand):
    help = (
        "Open incidents and deliver their PagerDuty triggers in this process against the "
        "local fake, which fails a share of calls; print timings and duplicate counts. "
        "Everything written is rolled back at the end."
    )

    def add_arguments(self, parser):
        parser.add_argument("--incidents", type=int, default=500, help="Incidents to open.")
        parser.add_argument(
            "--failure-rate",
            type=float,
            default=0.3,
            help="Share of PagerDuty calls the fake fails, from 0 to 1.",
        )
        parser.add_argument("--seed", type=int, default=1, help="Seed of the fake's failures.")

    def handle(self, *args, incidents: int, failure_rate: float, seed: int, **options):
        if not 0 <= failure_rate < 1:
            raise CommandError(f"--failure-rate={failure_rate} is invalid: use 0 to 0.99.")
        with FakeVendors() as fakes:
            fakes.fail_randomly("pagerduty-events", failure_rate, FAULTS, seed=seed)
            overrides = {
                **fakes.settings(),
                "SLACK_BOT_TOKEN": "",
                "OUTBOX_BACKOFF_BASE_SECONDS": 0,
                "OUTBOX_MAX_ATTEMPTS": 100,
            }
            with override_settings(**overrides), transaction.atomic():
                self._run(fakes, incidents, failure_rate)
                transaction.set_rollback(True)

    def _run(self, fakes: FakeVendors, count: int, failure_rate: float) -> None:
        user, _ = get_user_model().objects.get_or_create(username="benchmark")
        actor = Actor.for_user(user)

        started = time.perf_counter()
        opened_ids = []
        for number in range(count):
            incident = incident_create(
                actor=actor,
                title=f"Benchmark incident {number}",
                category=Category.AVAILABILITY,
                severity=Severity.SEV1,
            )
            opened_ids.append(incident.pk)
        opened = time.perf_counter() - started

        started = time.perf_counter()
        while outbox_deliver_due():
            pass
        delivered = time.perf_counter() - started

        all_rows = OutboxMessage.objects.filter(incident__in=opened_ids)
        all_attempts = sum(all_rows.values_list("attempts", flat=True))
        rows = all_rows.filter(target=Target.PAGERDUTY)
        attempts = sum(rows.values_list("attempts", flat=True))
        statuses = Counter(rows.values_list("status", flat=True))
        alerts = Counter(alert["dedup_key"] for alert in fakes.alerts)
        duplicates = sum(1 for number in alerts.values() if number > 1)
        self.stdout.write(f"database: {connection.vendor}")
        self.stdout.write(f"incidents opened: {count} in {opened:.1f} s ({count / opened:.0f}/s)")
        self.stdout.write(
            f"PagerDuty rows: {rows.count()}, {attempts} attempts at failure rate {failure_rate}"
        )
        self.stdout.write(
            f"delivery: {all_attempts} attempts over all rows (PagerDuty live, Slack in "
            f"dry-run mode) in {delivered:.1f} s ({all_attempts / delivered:.0f}/s)"
        )
        self.stdout.write(f"statuses: {dict(statuses)}")
        self.stdout.write(f"alerts: {len(alerts)}, dedup keys with more than one: {duplicates}")
        if statuses.get(OutboxStatus.DELIVERED, 0) != count or duplicates:
            raise CommandError("Not every trigger was delivered exactly once.")
