from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from incidents.actors import Actor
from incidents.runbooks import RunbookFormatError
from incidents.services.runbooks import runbooks_load


class Command(BaseCommand):
    help = "Load the runbook Markdown files into the database; changed files get a new version."

    def add_arguments(self, parser):
        parser.add_argument(
            "--directory",
            type=Path,
            default=None,
            help="Folder of runbook *.md files (default: the RUNBOOK_DIR setting).",
        )

    def handle(self, *args, **options):
        directory = options["directory"] or Path(settings.RUNBOOK_DIR)
        try:
            results = runbooks_load(
                directory=directory, actor=Actor.for_integration("load_runbooks")
            )
        except (RunbookFormatError, ValidationError) as error:
            raise CommandError(str(error)) from None
        for result in results:
            state = "loaded" if result.created else "unchanged"
            self.stdout.write(f"{result.slug}: version {result.version} {state}")
