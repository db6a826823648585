from celery import shared_task
from django.db import transaction


def enqueue_on_commit(task, *args) -> None:
    """Queue a task once the current transaction commits, so it finds its rows."""
    transaction.on_commit(lambda: task.delay(*args))


@shared_task
def sweep_clocks_task() -> int:
    """Remind and act on every response clock that is due; returns how many were due.

    Beat runs this every minute. Each clock is processed under its own row lock, so
    overlapping runs remind and breach once.
    """
    from incidents.services.clocks import clock_sweep

    return clock_sweep()


@shared_task
def check_drill_due_task() -> int | None:
    """Send the monthly drill reminder if one is due; returns its id, or None."""
    from incidents.services.drills import drill_reminder_check

    reminder = drill_reminder_check()
    return reminder.pk if reminder else None
