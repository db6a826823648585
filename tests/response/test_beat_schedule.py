from django.conf import settings

from config.celery import app


def test_beat_runs_registered_tasks():
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert scheduled >= {
        "incidents.tasks.sweep_clocks_task",
        "incidents.tasks.check_drill_due_task",
    }
    assert scheduled <= set(app.tasks)
