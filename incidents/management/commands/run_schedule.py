import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import autodiscover_modules

from config.celery import app

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Run the periodic tasks of CELERY_BEAT_SCHEDULE in this process, each at its "
        "interval, for a deployment with no Celery beat, such as the embedded default. "
        "With --once, run each task once and exit."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run each task once, then exit.")

    def handle(self, *args, once: bool, **options):
        # Registers every app's tasks. Celery's own loader would set up Django again,
        # which applies LOGGING afresh and drops handlers added since, such as a test's.
        autodiscover_modules("tasks")
        intervals = {}
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
            if not isinstance(entry["schedule"], int | float):
                raise CommandError(
                    f"Schedule {name!r} is not an interval in seconds: run Celery beat for it."
                )
            if entry["task"] not in app.tasks:
                raise CommandError(f"Schedule {name!r} names an unknown task {entry['task']!r}.")
            intervals[name] = float(entry["schedule"])

        due = dict.fromkeys(intervals, time.monotonic())
        while True:
            for name, interval in intervals.items():
                if time.monotonic() < due[name]:
                    continue
                self._run(name)
                due[name] = time.monotonic() + interval
            if once:
                return
            time.sleep(max(0.5, min(due.values()) - time.monotonic()))

    def _run(self, name: str) -> None:
        task_name = settings.CELERY_BEAT_SCHEDULE[name]["task"]
        started = time.monotonic()
        # apply() runs the task here and now, whether or not a broker is configured.
        result = app.tasks[task_name].apply()
        if result.failed():
            # The next run tries again, as beat would.
            logger.error("Scheduled task %s failed: %s", task_name, result.result)
            return
        logger.info(
            "Scheduled task %s returned %r in %.0f ms",
            task_name,
            result.result,
            (time.monotonic() - started) * 1000,
        )
