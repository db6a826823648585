"""Settings shared by every environment, read from the environment in this one place.

With nothing set, the project runs on a SQLite file, runs tasks in-process and keeps
every integration in dry-run mode, so a fresh clone works without services.
"""

from pathlib import Path

import dj_database_url

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("INCIDENT_DESK_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_str("SECRET_KEY", "django-insecure-local-development-key-change-me")
DEBUG = env_bool("DEBUG", default=True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "incidents",
    "integrations",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL")
if not DATABASE_URL:
    # The embedded default: a SQLite file in the project's var/ folder.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASE_URL = f"sqlite:///{VAR_DIR / 'incident-desk.sqlite3'}"

DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))

REDIS_URL = env_str("REDIS_URL")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's default configuration gives this logger a console handler of its own,
        # which printed each of its lines twice next to the root handler.
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        # fontTools and WeasyPrint log each step of rendering every PDF at INFO.
        "fontTools": {"level": "WARNING"},
        "weasyprint.progress": {"level": "WARNING"},
    },
}

# Celery: with no broker configured, tasks run in-process when they are queued.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# Delayed work is stored in the database and swept, so no task waits in the broker
# for longer than this visibility timeout (seconds) and gets delivered twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_BEAT_SCHEDULE: dict = {}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["incidents.api.permissions.ModelPermissions"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "incidents.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "incidents.api.pagination.IncidentCursorPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "incidents.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["incidents.api.throttling.ApiUserRateThrottle"],
}
# Requests each user may make to the API, as "<count>/<second|minute|hour|day>"; empty
# turns the limit off. Counted in the default cache, shared by every process on Redis.
API_THROTTLE_RATE = env_str("API_THROTTLE_RATE", "600/minute")

SPECTACULAR_SETTINGS = {
    "TITLE": "Incident Desk API",
    "DESCRIPTION": "Incidents, their timelines, actions and alerts.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Tag descriptions, in the order the Swagger UI lists the groups.
    "TAGS": [
        {"name": "v1", "description": "Incidents, their timelines and actions, and alerts."},
        {"name": "severity", "description": "Severity levels and triage assessments."},
        {
            "name": "response",
            "description": "The incident document, clocks, roles, security engagement and "
            "resolution.",
        },
        {"name": "runbooks", "description": "Runbooks and their progress on incidents."},
        {"name": "communications", "description": "Templates, drafts, approval and sending."},
        {"name": "retrospectives", "description": "Retrospectives and remediation tasks."},
        {"name": "metrics", "description": "MTTA and MTTR figures."},
        {"name": "drills", "description": "Recorded incident drills."},
        {"name": "reports", "description": "Incident report exports."},
    ],
    # Choice sets whose field names repeat across models get one schema name each.
    "ENUM_NAME_OVERRIDES": {
        "IncidentStatusEnum": "incidents.choices.Status",
        "ActionStatusEnum": "incidents.choices.ActionStatus",
        "ActionKindEnum": "incidents.choices.ActionKind",
        "TimelineKindEnum": "incidents.choices.TimelineKind",
        "CategoryEnum": "incidents.choices.Category",
        "SeverityEnum": "incidents.choices.Severity",
        "ClockKindEnum": "incidents.choices.ClockKind",
        "RetrospectiveStatusEnum": "incidents.choices.RetrospectiveStatus",
        "RemediationStatusEnum": "incidents.models.followup.RemediationStatus",
        "CommunicationStatusEnum": "incidents.models.followup.CommunicationStatus",
    },
}

# Webhook intake.
WEBHOOK_MAX_BODY_BYTES = env_int("WEBHOOK_MAX_BODY_BYTES", 256 * 1024)
WEBHOOK_REPLAY_WINDOW_SECONDS = env_int("WEBHOOK_REPLAY_WINDOW_SECONDS", 300)
GITHUB_WEBHOOK_SECRET = env_str("GITHUB_WEBHOOK_SECRET")
CRASHLYTICS_RELAY_SECRET = env_str("CRASHLYTICS_RELAY_SECRET")
ZENDESK_WEBHOOK_SECRET = env_str("ZENDESK_WEBHOOK_SECRET")
# Comma-separated: during a secret rotation PagerDuty signs with both, and either verifies.
PAGERDUTY_WEBHOOK_SECRETS = env_list("PAGERDUTY_WEBHOOK_SECRETS")
JIRA_WEBHOOK_SECRET = env_str("JIRA_WEBHOOK_SECRET")
SNS_CERT_CACHE_DIR = env_str("SNS_CERT_CACHE_DIR")
# SubscribeURL is fetched only when this is on; otherwise the confirmation is recorded.
SNS_CONFIRM_SUBSCRIPTIONS = env_bool("SNS_CONFIRM_SUBSCRIPTIONS", default=False)
SNS_HTTP_TIMEOUT_SECONDS = env_int("SNS_HTTP_TIMEOUT_SECONDS", 10)
# SNS retries a delivery for up to an hour by default; older signed messages are refused.
SNS_MAX_MESSAGE_AGE_SECONDS = env_int("SNS_MAX_MESSAGE_AGE_SECONDS", 3600)

# Reports.
REPORT_RETENTION_DAYS = env_int("REPORT_RETENTION_DAYS", 730)
REPORT_STORAGE_DIR = "reports"

# Notification defaults: names only, used by the integrations.
PAGERDUTY_SERVICE_NAME = env_str("PAGERDUTY_SERVICE_NAME", "Academy – Communities Platform")
SLACK_WARROOM_CHANNEL = env_str("SLACK_WARROOM_CHANNEL", "#academy-incident-warroom")
SLACK_STATUS_CHANNEL = env_str("SLACK_STATUS_CHANNEL", "#academy-status")
JIRA_PROJECT_KEY = env_str("JIRA_PROJECT_KEY", "ACSEC")
GOOGLE_DRIVE_FOLDER_NAME = env_str("GOOGLE_DRIVE_FOLDER_NAME", "Incident Reports")

# Response process: the clocks an incident's severity and status start.
SECURITY_ENGAGEMENT_MINUTES = env_int("SECURITY_ENGAGEMENT_MINUTES", 15)
SECURITY_ENGAGEMENT_REMINDER_MINUTES = env_int("SECURITY_ENGAGEMENT_REMINDER_MINUTES", 10)
UPDATE_INTERVAL_MINUTES = env_int("UPDATE_INTERVAL_MINUTES", 30)
UPDATE_REMINDER_LEAD_MINUTES = env_int("UPDATE_REMINDER_LEAD_MINUTES", 5)
MONITORING_WINDOW_HOURS = env_int("MONITORING_WINDOW_HOURS", 24)
RETROSPECTIVE_BUSINESS_DAYS = env_int("RETROSPECTIVE_BUSINESS_DAYS", 5)
# Retrospective reminders go out at the start of each of these business days before the
# due date, where 0 is the due date itself.
RETROSPECTIVE_REMINDER_BUSINESS_DAYS = [
    int(days) for days in env_list("RETROSPECTIVE_REMINDER_BUSINESS_DAYS", ["2", "0"])
]
# Clocks due within this many minutes count as at risk in the admin filter.
CLOCK_AT_RISK_MINUTES = env_int("CLOCK_AT_RISK_MINUTES", 10)
# Public holidays skipped by business-day deadlines, as the `holidays` package names them,
# plus extra ISO dates (YYYY-MM-DD) such as company days off.
BUSINESS_HOLIDAYS_COUNTRY = env_str("BUSINESS_HOLIDAYS_COUNTRY", "GB")
BUSINESS_HOLIDAYS_SUBDIVISION = env_str("BUSINESS_HOLIDAYS_SUBDIVISION", "ENG")
BUSINESS_EXTRA_HOLIDAYS = env_list("BUSINESS_EXTRA_HOLIDAYS")

RUNBOOK_DIR = Path(env_str("RUNBOOK_DIR", str(BASE_DIR / "docs" / "upgrade" / "runbooks")))

# Communications: e-mail recipients per audience, and the sender address.
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "incident-desk@localhost")
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
COMMUNICATION_RECIPIENTS = {
    "customers": env_list("COMMUNICATION_RECIPIENTS_CUSTOMERS"),
    "executives": env_list("COMMUNICATION_RECIPIENTS_EXECUTIVES"),
    "regulators": env_list("COMMUNICATION_RECIPIENTS_REGULATORS"),
    "responders": env_list("COMMUNICATION_RECIPIENTS_RESPONDERS"),
}
# Recipients of the reminder that a month has passed without an incident drill.
DRILL_REMINDER_RECIPIENTS = env_list("DRILL_REMINDER_RECIPIENTS")

CELERY_BEAT_SCHEDULE["sweep-response-clocks"] = {
    "task": "incidents.tasks.sweep_clocks_task",
    "schedule": 60.0,
}
CELERY_BEAT_SCHEDULE["check-monthly-drill"] = {
    "task": "incidents.tasks.check_drill_due_task",
    "schedule": 6 * 60 * 60.0,
}

# Outgoing integrations. Every call to PagerDuty, Jira, Slack and Google Drive is an
# outbox row. An integration with no credentials runs in dry-run mode, which records the
# request it would send and sends nothing.
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 8)
OUTBOX_BACKOFF_BASE_SECONDS = env_int("OUTBOX_BACKOFF_BASE_SECONDS", 10)
OUTBOX_BACKOFF_MAX_SECONDS = env_int("OUTBOX_BACKOFF_MAX_SECONDS", 3600)
# A claimed row whose worker has not finished within this many seconds is claimed again.
OUTBOX_LEASE_SECONDS = env_int("OUTBOX_LEASE_SECONDS", 300)
# A due row queued this many seconds ago and still pending is taken to be lost and queued again.
OUTBOX_REQUEUE_AFTER_SECONDS = env_int("OUTBOX_REQUEUE_AFTER_SECONDS", 120)
OUTBOX_SWEEP_INTERVAL_SECONDS = env_int("OUTBOX_SWEEP_INTERVAL_SECONDS", 30)
OUTBOX_SWEEP_BATCH_SIZE = env_int("OUTBOX_SWEEP_BATCH_SIZE", 500)
INTEGRATIONS_HTTP_TIMEOUT_SECONDS = env_int("INTEGRATIONS_HTTP_TIMEOUT_SECONDS", 10)
# A PEM file of certificate authorities the integration clients trust instead of the
# system's, such as a company proxy's; empty uses the system's.
INTEGRATIONS_CA_BUNDLE = env_str("INTEGRATIONS_CA_BUNDLE")

PAGERDUTY_ROUTING_KEY = env_str("PAGERDUTY_ROUTING_KEY")
PAGERDUTY_API_TOKEN = env_str("PAGERDUTY_API_TOKEN")
PAGERDUTY_EVENTS_URL = env_str("PAGERDUTY_EVENTS_URL", "https://events.pagerduty.com")
PAGERDUTY_API_URL = env_str("PAGERDUTY_API_URL", "https://api.pagerduty.com")
# Incidents of these severities page the on-call engineer when they open.
PAGERDUTY_TRIGGER_SEVERITIES = env_list("PAGERDUTY_TRIGGER_SEVERITIES", ["SEV0", "SEV1", "SEV2"])
# The security lead is paged through this escalation policy: as a responder request on the
# incident's PagerDuty incident, or, when that is not known, as a new incident on the service.
PAGERDUTY_SECURITY_ESCALATION_POLICY_ID = env_str("PAGERDUTY_SECURITY_ESCALATION_POLICY_ID")
PAGERDUTY_SECURITY_SERVICE_ID = env_str("PAGERDUTY_SECURITY_SERVICE_ID")
# The PagerDuty user named as requester of responder requests, and the login email sent
# as the From header that REST writes require.
PAGERDUTY_REQUESTER_USER_ID = env_str("PAGERDUTY_REQUESTER_USER_ID")
PAGERDUTY_FROM_EMAIL = env_str("PAGERDUTY_FROM_EMAIL")

JIRA_URL = env_str("JIRA_URL")
JIRA_EMAIL = env_str("JIRA_EMAIL")
JIRA_API_TOKEN = env_str("JIRA_API_TOKEN")
# The accountId of Incident Desk's own Jira user: changes it made are not synced back.
JIRA_ACCOUNT_ID = env_str("JIRA_ACCOUNT_ID")
JIRA_ISSUE_TYPE = env_str("JIRA_ISSUE_TYPE", "Task")

SLACK_BOT_TOKEN = env_str("SLACK_BOT_TOKEN")
SLACK_API_URL = env_str("SLACK_API_URL", "https://slack.com/api/")

GOOGLE_SERVICE_ACCOUNT_FILE = env_str("GOOGLE_SERVICE_ACCOUNT_FILE")
# Replaces the rootUrl of the bundled Drive v3 discovery document, for a local server.
GOOGLE_DRIVE_ROOT_URL = env_str("GOOGLE_DRIVE_ROOT_URL", "https://www.googleapis.com/")
# Builds the final report uploaded after an incident closes: a dotted path to a function
# taking the keyword arguments incident and actor and returning a ReportFile.
INTEGRATIONS_REPORT_BUILDER = env_str(
    "INTEGRATIONS_REPORT_BUILDER", "integrations.reports.build_final_report"
)

CELERY_BEAT_SCHEDULE["integrations-outbox-sweep"] = {
    "task": "integrations.tasks.outbox_sweep_task",
    "schedule": float(OUTBOX_SWEEP_INTERVAL_SECONDS),
}
