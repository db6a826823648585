import shutil
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents.actors import Actor
from incidents.models import Incident
from incidents.selectors import incidents_visible_to
from reports.services import report_export

CLI_INTEGRATION = "reports-cli"


class Command(BaseCommand):
    help = (
        "Export an incident's PDF report through report_export and copy it to "
        "OUTPUT/<key>.pdf, printing the path."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--key", help="Key of the incident to export, such as INC-2026-0001.")
        target.add_argument(
            "--first", action="store_true", help="Export the earliest detected incident."
        )
        parser.add_argument(
            "--output", required=True, type=Path, help="Folder to copy the PDF into."
        )
        parser.add_argument(
            "--user",
            help=(
                f"Username to export as. The user must be able to see the incident. "
                f"Without it, the export is recorded as the integration {CLI_INTEGRATION!r}."
            ),
        )

    def handle(self, *args, key: str | None, first: bool, output: Path, user: str | None, **opts):
        actor, incidents = self._actor_and_incidents(user)
        if first:
            incident = incidents.order_by("detected_at", "id").first()
            if incident is None:
                raise CommandError("No incident to export: --first found no incidents.")
        else:
            incident = incidents.filter(key=key).first()
            if incident is None:
                raise CommandError(f"Incident {key!r} not found or not visible to {actor.label}.")

        export = report_export(incident=incident, actor=actor)

        output.mkdir(parents=True, exist_ok=True)
        destination = output / f"{incident.key}.pdf"
        with export.file.open("rb") as source, destination.open("wb") as target:
            shutil.copyfileobj(source, target)
        self.stdout.write(str(destination))

    def _actor_and_incidents(self, username: str | None):
        if username is None:
            # The command's operator already has shell access to the database, so an
            # export recorded as the integration may read every incident.
            return Actor.for_integration(CLI_INTEGRATION), Incident.objects.all()

        user_model = get_user_model()
        user = user_model.objects.filter(
            **{user_model.USERNAME_FIELD: username}, is_active=True
        ).first()
        if user is None:
            raise CommandError(f"User {username!r} not found or inactive: check --user.")
        return Actor.for_user(user), incidents_visible_to(user)
