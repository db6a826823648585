"""The Celery app. Its broker is REDIS_URL; with none set, tasks run in-process."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("incident_desk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
