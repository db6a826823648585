"""Settings for the test suite: the base settings with fixed secrets and fast hashing."""

import os
import time

from config.settings.base import *  # noqa: F403
from config.settings.base import CACHES, DATABASES, VAR_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

GITHUB_WEBHOOK_SECRET = "gh-test-secret"
CRASHLYTICS_RELAY_SECRET = "relay-test-secret"
ZENDESK_WEBHOOK_SECRET = "zd-test-secret"
PAGERDUTY_WEBHOOK_SECRETS = ["pd-test-secret"]
JIRA_WEBHOOK_SECRET = "jira-test-secret"

MEDIA_ROOT = VAR_DIR / "test-media"

# Each run counts API requests under its own cache keys: user ids repeat between runs,
# and the counts of an earlier run may still be in Redis.
CACHES["default"]["KEY_PREFIX"] = f"test-{os.getpid()}-{time.time_ns()}"
# High enough that no test is limited unless it sets a rate of its own.
API_THROTTLE_RATE = "100000/minute"

# A file, not memory, so that a Celery worker started by a test sees the same data.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-incident-desk.sqlite3")}

# Tasks run in-process in tests; the worker test switches this off to use the broker.
CELERY_TASK_ALWAYS_EAGER = True

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
COMMUNICATION_RECIPIENTS = {
    "customers": ["status-subscribers@example.org"],
    "executives": ["leadership@example.org"],
    "regulators": ["privacy-office@example.org"],
    "responders": [],
}
DRILL_REMINDER_RECIPIENTS = ["incident-managers@example.org"]
BUSINESS_HOLIDAYS_COUNTRY = "GB"
BUSINESS_HOLIDAYS_SUBDIVISION = "ENG"
BUSINESS_EXTRA_HOLIDAYS: list[str] = []
