import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from incidents.actors import Actor
from incidents.choices import ActionKind, ActionStatus, Severity, TimelineKind
from incidents.models import Runbook, RunbookVersion
from incidents.runbooks import RunbookFormatError, parse_runbook
from incidents.selectors import incident_document
from incidents.services import action_update
from incidents.services.runbooks import runbook_start
from tests.factories import make_incident

pytestmark = pytest.mark.django_db

RUNBOOK_SLUGS = {
    "incident-triage",
    "credential-leak",
    "waf-attack",
    "api-latency-breach",
    "mobile-crash-spike",
    "member-data-exposure",
}

VALID = b"""---
title: Sample
---
## Purpose
Why.

## When to use
When.

## Steps
- [ ] [containment @security-lead] Revoke the token.
"""


@pytest.fixture
def runbook_dir(tmp_path) -> Path:
    directory = tmp_path / "runbooks"
    shutil.copytree(settings.RUNBOOK_DIR, directory)
    return directory


def test_repository_runbooks_parse():
    slugs = set()
    for path in Path(settings.RUNBOOK_DIR).glob("*.md"):
        parsed = parse_runbook(path.stem, path.read_bytes())
        slugs.add(parsed.slug)
        assert parsed.purpose
        assert parsed.when_to_use
    assert slugs == RUNBOOK_SLUGS


@pytest.mark.parametrize(
    "marker", ["feature-flag kill switch", "Revoke the leaked token", "Isolate the"]
)
def test_containment_steps_present(marker):
    steps = []
    for path in Path(settings.RUNBOOK_DIR).glob("*.md"):
        steps += parse_runbook(path.stem, path.read_bytes()).steps

    matching = [step for step in steps if marker in step.text]

    assert matching
    assert {step.kind for step in matching} == {ActionKind.CONTAINMENT}


def test_load_twice_is_idempotent(runbook_dir, capsys):
    call_command("load_runbooks", directory=runbook_dir)
    call_command("load_runbooks", directory=runbook_dir)

    assert Runbook.objects.count() == 6
    assert RunbookVersion.objects.count() == 6
    assert "incident-triage: version 1 unchanged" in capsys.readouterr().out
    triage = Runbook.objects.get(slug="incident-triage")
    assert triage.position == 1
    assert triage.current_version.steps.count() == 8


def test_changed_file_adds_version_incident_keeps_old(runbook_dir, staff_actor):
    call_command("load_runbooks", directory=runbook_dir)
    incident = make_incident(actor=staff_actor)
    runbook = Runbook.objects.get(slug="waf-attack")
    use = runbook_start(incident=incident, actor=staff_actor, runbook=runbook)
    path = runbook_dir / "waf-attack.md"
    path.write_text(path.read_text() + "- [ ] [recovery @scribe] File the WAF report.\n")

    call_command("load_runbooks", directory=runbook_dir)

    runbook.refresh_from_db()
    assert runbook.current_version.number == 2
    assert runbook.current_version.steps.count() == 9
    use.refresh_from_db()
    assert use.version.number == 1
    assert incident.actions.count() == 8


def test_malformed_file_loads_nothing(runbook_dir):
    (runbook_dir / "broken.md").write_bytes(VALID.replace(b"@security-lead", b"@janitor"))

    with pytest.raises(CommandError, match=re.escape("broken.md: line 11: unknown role 'janitor'")):
        call_command("load_runbooks", directory=runbook_dir)

    assert not Runbook.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (VALID.replace(b"title: Sample\n", b""), "needs a 'title'"),
        (VALID.replace(b"## Purpose\nWhy.\n", b""), "'## Purpose' section is missing"),
        (VALID.replace(b"[containment @security-lead] ", b""), "a step must read"),
        (VALID.replace(b"containment", b"panic"), "unknown step kind 'panic'"),
        (VALID.replace(b"---\ntitle", b"title"), "expected '---'"),
    ],
)
def test_parse_errors_name_the_problem(content, message):
    with pytest.raises(RunbookFormatError, match=message):
        parse_runbook("sample", content)


def test_start_maps_roles_to_owners(runbook_dir, clock, commander, security_lead, commander_actor):
    call_command("load_runbooks", directory=runbook_dir)
    incident = make_incident(
        actor=commander_actor,
        severity=Severity.SEV1,
        commander=commander,
        security_lead=security_lead,
    )
    runbook = Runbook.objects.get(slug="credential-leak")

    runbook_start(incident=incident, actor=commander_actor, runbook=runbook)

    revoke = incident.actions.get(title__startswith="Revoke the leaked token")
    assert revoke.owner == security_lead
    assert revoke.kind == ActionKind.CONTAINMENT
    kill_switch = incident.actions.get(title__contains="kill switch for any integration")
    assert kill_switch.owner == commander
    partners = incident.actions.get(title__startswith="Tell affected partners")
    assert partners.owner is None
    entry = incident.timeline.get(kind=TimelineKind.RUNBOOK)
    assert "9 steps; no owner yet for steps of the communications lead" in entry.text


def test_start_twice_rejected(runbook_dir, staff_actor):
    call_command("load_runbooks", directory=runbook_dir)
    incident = make_incident(actor=staff_actor)
    runbook = Runbook.objects.get(slug="incident-triage")
    runbook_start(incident=incident, actor=staff_actor, runbook=runbook)

    with pytest.raises(ValidationError) as error:
        runbook_start(incident=incident, actor=staff_actor, runbook=runbook)

    assert "already started" in error.value.message_dict["runbook"][0]
    assert incident.actions.count() == 8


def test_progress_in_document(runbook_dir, staff_actor):
    call_command("load_runbooks", directory=runbook_dir)
    incident = make_incident(actor=staff_actor)
    runbook_start(
        incident=incident, actor=staff_actor, runbook=Runbook.objects.get(slug="incident-triage")
    )
    first = incident.actions.first()
    action_update(action=first, actor=Actor.for_integration("test"), status=ActionStatus.DONE)

    document = incident_document(incident)

    assert document["runbooks"] == [
        {
            "runbook": "incident-triage",
            "title": "Incident triage",
            "version": 1,
            "done": 1,
            "total": 8,
        }
    ]
    assert len(document["open_actions"]) == 7
