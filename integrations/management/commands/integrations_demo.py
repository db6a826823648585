import datetime
import secrets
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.test import override_settings

from incidents.actors import Actor
from incidents.choices import Category, Severity, Status
from incidents.models import Incident
from incidents.services import incident_create, incident_transition, timeline_add_note
from incidents.services.escalation import page_security_lead
from incidents.services.retrospectives import (
    remediation_create,
    retrospective_hold,
    retrospective_publish,
    retrospective_update,
)
from integrations.fakes import FakeVendors
from integrations.fakes.google import write_service_account
from integrations.fakes.webhooks import jira_issue_transitioned, pagerduty_incident_event
from integrations.outbox import outbox_deliver_due
from integrations.status import integration_statuses
from integrations.webhooks.base import WebhookError
from integrations.webhooks.deliveries import (
    Delivery,
    delivery_files,
    load_delivery,
    post_delivery,
    sign_delivery,
    webhook_client,
)

# The Jira user who moves the issue in the demo: a person, not Incident Desk's account.
ENGINEER_ACCOUNT_ID = "712020:demo-platform-engineer"


class Command(BaseCommand):
    help = (
        "Run PagerDuty, Slack, Jira and Google Drive end to end against local fake servers "
        "on 127.0.0.1. With --replay, the sample deliveries are posted first and the most "
        "severe incident they open is used; otherwise the command opens one. The incident "
        "is paged, posted to the war room, acknowledged by a PagerDuty webhook, given a "
        "remediation task filed in Jira and synced back as done by a Jira webhook, then "
        "closed, and its report uploaded. Writes to the configured database."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--replay",
            type=Path,
            metavar="FOLDER",
            help="Post the delivery files under FOLDER through the webhook views first, "
            "signed now with the secrets in settings.",
        )

    def handle(self, *args, replay: Path | None, **options):
        run = int(time.time())
        with (
            tempfile.TemporaryDirectory(prefix="incident-desk-demo-") as folder,
            FakeVendors(id_prefix=str(run), first_issue_number=run % 100_000) as fakes,
        ):
            overrides = dict(fakes.settings())
            overrides["GOOGLE_SERVICE_ACCOUNT_FILE"] = write_service_account(
                Path(folder) / "service-account.json", f"{fakes.base_url}/google/token"
            )
            # The fakes sign their webhooks with the configured secrets, or with secrets
            # made for this run when none are configured.
            overrides["PAGERDUTY_WEBHOOK_SECRETS"] = settings.PAGERDUTY_WEBHOOK_SECRETS or [
                secrets.token_hex(16)
            ]
            overrides["JIRA_WEBHOOK_SECRET"] = settings.JIRA_WEBHOOK_SECRET or secrets.token_hex(16)
            with override_settings(**overrides):
                self.client = webhook_client()
                self._run(fakes, replay)

    def _deliver(self) -> None:
        """Deliver the due outbox rows in this process, so the demo needs no worker."""
        while outbox_deliver_due():
            pass

    def _post(self, delivery: Delivery) -> dict:
        response = post_delivery(self.client, delivery)
        if not 200 <= response.status_code < 300:
            raise CommandError(
                f"{delivery.name} was rejected with HTTP {response.status_code}: "
                f"{response.content.decode(errors='replace')}"
            )
        return response.json()

    def _replay(self, folder: Path, fakes: FakeVendors) -> Incident | None:
        files = delivery_files(folder)
        if not files:
            raise CommandError(f"No delivery files (*.json) under {folder}.")
        opened: list[str] = []
        for path in files:
            name = path.relative_to(folder).as_posix() if folder.is_dir() else path.name
            try:
                delivery = sign_delivery(load_delivery(path, name=name))
            except WebhookError as error:
                raise CommandError(f"{name} cannot be signed: {error.message}") from None
            alerts = self._post(delivery).get("alerts", [])
            opened += [alert["incident"] for alert in alerts if alert.get("opened_incident")]
        self._deliver()

        war_room = self._war_room_messages(fakes)
        self.stdout.write(
            f"Replayed {len(files)} deliveries from {folder}: {len(opened)} incidents opened, "
            f"PagerDuty alerts {len(fakes.alerts)}, war-room messages {len(war_room)}"
        )
        return Incident.objects.filter(key__in=opened).order_by("severity", "detected_at").first()

    def _war_room_messages(self, fakes: FakeVendors) -> list[dict]:
        channel = settings.SLACK_WARROOM_CHANNEL
        return [message for message in fakes.messages if message["channel"] == channel]

    def _run(self, fakes: FakeVendors, replay: Path | None) -> None:
        user, _ = get_user_model().objects.get_or_create(
            username="demo-commander", defaults={"is_staff": True}
        )
        actor = Actor.for_user(user)

        incident = self._replay(replay, fakes) if replay else None
        if incident is None:
            incident = incident_create(
                actor=actor,
                title="Credential stuffing against the community login",
                category=Category.SECURITY,
                severity=Severity.SEV1,
            )
            self._deliver()
            self.stdout.write(f"Opened {incident.key}: PagerDuty alerts {len(fakes.alerts)}")
        if incident.severity not in settings.PAGERDUTY_TRIGGER_SEVERITIES:
            raise CommandError(
                f"{incident.key} is {incident.severity}, which does not page PagerDuty: "
                f"PAGERDUTY_TRIGGER_SEVERITIES is {settings.PAGERDUTY_TRIGGER_SEVERITIES}."
            )
        self.stdout.write(f"Following {incident.key} ({incident.severity}): {incident.title}")

        # PagerDuty reports its incident, then the duty engineer's acknowledgement.
        for event_type in ("incident.triggered", "incident.acknowledged"):
            self._post(
                pagerduty_incident_event(
                    fakes,
                    dedup_key=incident.key,
                    event_type=event_type,
                    secrets=settings.PAGERDUTY_WEBHOOK_SECRETS,
                )
            )
        incident.refresh_from_db()
        self.stdout.write(
            f"Acknowledged in PagerDuty: MTTA {incident.time_to_acknowledge.total_seconds():.1f} s"
        )

        if incident.status == Status.DETECTED:
            incident = incident_transition(incident=incident, actor=actor, to_status=Status.TRIAGED)
        timeline_add_note(incident=incident, actor=actor, text="Blocked the attacking ASN")
        page_security_lead(
            incident=incident, actor=actor, reason="Credential stuffing needs the security lead"
        )
        self._deliver()
        pages = sum(len(pd["responder_requests"]) for pd in fakes.pagerduty_incidents.values())
        self.stdout.write(f"Security lead paged: {pages} responder request(s)")

        # Creating the task queues its Jira issue in the same transaction.
        task = remediation_create(
            incident=incident,
            actor=actor,
            title="Add a per-IP rate limit to /login",
            owner=user,
            due_date=datetime.date.today() + datetime.timedelta(days=14),
        )
        self._deliver()
        task.refresh_from_db()
        self.stdout.write(f"Jira issue filed: {task.tracker_key}")

        self._post(
            jira_issue_transitioned(
                fakes,
                issue_key=task.tracker_key,
                category="done",
                secret=settings.JIRA_WEBHOOK_SECRET,
                account_id=ENGINEER_ACCOUNT_ID,
            )
        )
        task.refresh_from_db()
        self.stdout.write(f"{task.tracker_key} done in Jira: remediation task is {task.status}")

        incident = self._close(incident, actor, user)
        self._deliver()
        self.stdout.write(f"Closed {incident.key}: uploaded {[u['name'] for u in fakes.uploads]}")

        events = [event["event_action"] for event in fakes.events]
        self.stdout.write(f"PagerDuty events: {', '.join(events)}")
        self.stdout.write(
            f"War-room messages: {len(self._war_room_messages(fakes))}, "
            f"updates: {len(fakes.updates)}"
        )
        for status in integration_statuses():
            self.stdout.write(
                f"{status.label}: {status.mode}, last delivered {status.last_success_at}"
            )

    def _close(self, incident: Incident, actor: Actor, user) -> Incident:
        incident = incident_transition(
            incident=incident,
            actor=actor,
            to_status=Status.RESOLVED,
            override_reason="Demo run: the monitoring window is skipped",
        )
        # SEV0 to SEV2 close only once their blameless retrospective is published.
        retrospective = incident.retrospective
        retrospective_update(
            retrospective=retrospective,
            actor=actor,
            attendees=[user],
            summary="The attack was blocked at the edge within the hour.",
            impact="About 300 login attempts per second for 20 minutes; no account taken over.",
            contributing_factors="No per-IP rate limit on the login endpoint.",
            went_well="The alert fired within two minutes.",
            went_poorly="The security lead was paged late.",
            lessons="Rate-limit every credential endpoint.",
        )
        retrospective_hold(retrospective=retrospective, actor=actor)
        retrospective_publish(retrospective=retrospective, actor=actor)
        return incident_transition(incident=incident, actor=actor, to_status=Status.CLOSED)
