import contextlib
import shlex
import signal
import tempfile
import threading
from pathlib import Path

from django.core.management.base import BaseCommand

from integrations.fakes import FakeVendors
from integrations.fakes.google import write_service_account


class Command(BaseCommand):
    help = (
        "Serve the fake PagerDuty, Jira, Slack and Google Drive on 127.0.0.1 until "
        "interrupted, and print the environment variables that point Incident Desk at them."
    )

    def handle(self, *args, **options):
        stopped = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopped.set())
        with (
            tempfile.TemporaryDirectory(prefix="incident-desk-fakes-") as folder,
            FakeVendors() as fakes,
        ):
            environment = dict(fakes.settings())
            environment["GOOGLE_SERVICE_ACCOUNT_FILE"] = write_service_account(
                Path(folder) / "service-account.json", f"{fakes.base_url}/google/token"
            )
            for name, value in environment.items():
                self.stdout.write(f"export {name}={shlex.quote(value)}")
            self.stdout.flush()
            with contextlib.suppress(KeyboardInterrupt):
                stopped.wait()
