from django.core.management.base import BaseCommand

from integrations.status import integration_statuses


def _when(value) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S %Z}" if value else "never"


class Command(BaseCommand):
    help = (
        "List each integration's mode (live, or dry run when its credentials are missing), "
        "its last delivery, last dry-run record and last failure, and how many outbox "
        "rows wait or failed."
    )

    def handle(self, *args, **options):
        for status in integration_statuses():
            self.stdout.write(f"{status.label}: {status.mode}")
            if status.missing_settings:
                self.stdout.write(f"  missing settings: {', '.join(status.missing_settings)}")
            self.stdout.write(f"  last delivered: {_when(status.last_success_at)}")
            self.stdout.write(f"  last recorded in dry run: {_when(status.last_recorded_at)}")
            failure = _when(status.last_failure_at)
            if status.last_error:
                failure = f"{failure}: {status.last_error}"
            self.stdout.write(f"  last failure: {failure}")
            self.stdout.write(f"  waiting: {status.pending}, failed: {status.failed}")
