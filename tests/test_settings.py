import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import env

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _run_manage(*arguments: str, **environment: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=PROJECT_ROOT,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_deploy_check():
    result = _run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="incidents.example.org",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_reject_weak_secret():
    result = _run_manage(
        "check",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="short",
    )

    assert result.returncode != 0
    assert "SECRET_KEY is missing or weak" in result.stderr


@pytest.mark.parametrize(
    ("raw", "expected"), [("true", True), ("1", True), ("off", False), ("", False)]
)
def test_env_bool_parses(monkeypatch, raw, expected):
    monkeypatch.setenv("INCIDENT_DESK_FLAG", raw)

    assert env.env_bool("INCIDENT_DESK_FLAG") is expected


def test_env_bool_rejects_garbage(monkeypatch):
    monkeypatch.setenv("INCIDENT_DESK_FLAG", "maybe")

    with pytest.raises(ImproperlyConfigured, match="INCIDENT_DESK_FLAG='maybe' is not a boolean"):
        env.env_bool("INCIDENT_DESK_FLAG")


def test_env_int_rejects_garbage(monkeypatch):
    monkeypatch.setenv("INCIDENT_DESK_NUMBER", "ten")

    with pytest.raises(ImproperlyConfigured, match="is not a whole number"):
        env.env_int("INCIDENT_DESK_NUMBER", 3)
