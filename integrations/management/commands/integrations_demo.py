import datetime
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.test import override_settings

from incidents.actors import Actor
from incidents.choices import Category, Severity, Status
from incidents.services import incident_create, incident_transition, timeline_add_note
from incidents.services.retrospectives import (
    remediation_create,
    retrospective_hold,
    retrospective_publish,
    retrospective_update,
)
from integrations.fakes import FakeVendors
from integrations.fakes.google import write_service_account
from integrations.outbox import outbox_deliver_due
from integrations.services import jira_issue_synced, page_security_lead
from integrations.status import integration_statuses


class Command(BaseCommand):
    help = (
        "Run one incident through PagerDuty, Slack, Jira and Google Drive against local "
        "fake servers on 127.0.0.1: page, post to the war room, file and sync a Jira "
        "issue, close and upload the report. Writes to the configured database."
    )

    def handle(self, *args, **options):
        folder = Path(tempfile.mkdtemp(prefix="incident-desk-demo-"))
        run = int(time.time())
        with FakeVendors(id_prefix=str(run), first_issue_number=run % 100_000) as fakes:
            overrides = dict(fakes.settings())
            overrides["GOOGLE_SERVICE_ACCOUNT_FILE"] = write_service_account(
                folder / "service-account.json", f"{fakes.base_url}/google/token"
            )
            with override_settings(**overrides):
                self._run(fakes)

    def _step(self, describe) -> None:
        """Deliver the due rows in this process, so the demo needs no worker, then report."""
        while outbox_deliver_due():
            pass
        self.stdout.write(describe())

    def _run(self, fakes: FakeVendors) -> None:
        user, _ = get_user_model().objects.get_or_create(
            username="demo-commander", defaults={"is_staff": True}
        )
        actor = Actor.for_user(user)

        incident = incident_create(
            actor=actor,
            title="Credential stuffing against the community login",
            category=Category.SECURITY,
            severity=Severity.SEV1,
        )
        self._step(lambda: f"Opened {incident.key}: PagerDuty alerts {len(fakes.alerts)}")

        incident = incident_transition(incident=incident, actor=actor, to_status=Status.TRIAGED)
        timeline_add_note(incident=incident, actor=actor, text="Blocked the attacking ASN")
        page_security_lead(incident=incident, actor=actor)
        self._step(
            lambda: (
                "Security lead paged: "
                + ", ".join(
                    f"{len(pd['responder_requests'])} responder request(s) on {pd['id']}"
                    for pd in fakes.pagerduty_incidents.values()
                )
            )
        )

        # Creating the task queues its Jira issue in the same transaction.
        task = remediation_create(
            incident=incident,
            actor=actor,
            title="Add a per-IP rate limit to /login",
            owner=user,
            due_date=datetime.date.today() + datetime.timedelta(days=14),
        )
        self._step(lambda: f"Jira issues filed: {', '.join(fakes.issues) or 'none'}")

        task.refresh_from_db()
        jira_issue_synced(issue_key=task.tracker_key, status_category="done")
        task.refresh_from_db()
        self.stdout.write(f"{task.tracker_key} done in Jira: remediation task is {task.status}")

        incident = incident_transition(
            incident=incident,
            actor=actor,
            to_status=Status.RESOLVED,
            override_reason="Demo run: the monitoring window is skipped",
        )
        # A SEV1 closes only once its blameless retrospective is published.
        retrospective = incident.retrospective
        retrospective_update(
            retrospective=retrospective,
            actor=actor,
            attendees=[user],
            summary="Credential stuffing blocked at the edge within the hour.",
            impact="About 300 login attempts per second for 20 minutes; no account taken over.",
            contributing_factors="No per-IP rate limit on the login endpoint.",
            went_well="The WAF alarm fired within two minutes.",
            went_poorly="The security lead was paged late.",
            lessons="Rate-limit every credential endpoint.",
        )
        retrospective_hold(retrospective=retrospective, actor=actor)
        retrospective_publish(retrospective=retrospective, actor=actor)
        incident = incident_transition(incident=incident, actor=actor, to_status=Status.CLOSED)
        self._step(lambda: f"Closed {incident.key}: uploaded {[u['name'] for u in fakes.uploads]}")

        events = [event["event_action"] for event in fakes.events]
        war_room = [m for m in fakes.messages if m["channel"] == settings.SLACK_WARROOM_CHANNEL]
        self.stdout.write(f"PagerDuty events: {', '.join(events)}")
        self.stdout.write(f"War-room messages: {len(war_room)}, updates: {len(fakes.updates)}")
        for status in integration_statuses():
            self.stdout.write(
                f"{status.label}: {status.mode}, last success {status.last_success_at}"
            )
