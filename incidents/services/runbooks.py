import logging
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from incidents.actors import Actor
from incidents.audit import acting_as
from incidents.choices import TimelineKind
from incidents.models import Incident, IncidentRunbook, Runbook, RunbookStep, RunbookVersion
from incidents.runbooks import ParsedRunbook, parse_runbook
from incidents.services.actions import action_create
from incidents.services.timeline import timeline_record

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadResult:
    slug: str
    version: int
    created: bool


def _store_runbook(parsed: ParsedRunbook) -> LoadResult:
    runbook, _ = Runbook.objects.select_for_update().get_or_create(
        slug=parsed.slug, defaults={"title": parsed.title, "position": parsed.order}
    )
    if (runbook.title, runbook.position) != (parsed.title, parsed.order):
        runbook.title = parsed.title
        runbook.position = parsed.order
        runbook.full_clean()
        runbook.save()

    latest = runbook.versions.order_by("-number").first()
    if latest is not None and latest.content_hash == parsed.content_hash:
        return LoadResult(slug=parsed.slug, version=latest.number, created=False)

    number = (runbook.versions.aggregate(top=Max("number"))["top"] or 0) + 1
    version = RunbookVersion(
        runbook=runbook,
        number=number,
        content_hash=parsed.content_hash,
        source=parsed.source,
        purpose=parsed.purpose,
        when_to_use=parsed.when_to_use,
    )
    version.full_clean()
    version.save()
    for position, step in enumerate(parsed.steps, start=1):
        row = RunbookStep(
            version=version,
            position=position,
            section=step.section[:200],
            text=step.text,
            kind=step.kind,
            role=step.role,
        )
        row.full_clean()
        row.save()
    return LoadResult(slug=parsed.slug, version=number, created=True)


def runbooks_load(*, directory: Path, actor: Actor) -> list[LoadResult]:
    """Load every `*.md` runbook in `directory`; a file whose content changed adds a version.

    Every file is parsed before anything is written, so one malformed file loads none.
    Loading the same files again writes nothing.
    """
    paths = sorted(directory.glob("*.md"))
    if not paths:
        raise ValidationError({"directory": f"No runbook files (*.md) in {directory}."})
    parsed = [parse_runbook(path.stem, path.read_bytes()) for path in paths]

    with transaction.atomic(), acting_as(actor):
        results = [_store_runbook(runbook) for runbook in parsed]
    for result in results:
        if result.created:
            logger.info("Loaded runbook %s version %d", result.slug, result.version)
    return results


ROLE_HOLDER_FIELDS = ("commander", "security_lead", "communications_lead", "scribe")


def runbook_start(*, incident: Incident, actor: Actor, runbook: Runbook) -> IncidentRunbook:
    """Start the runbook's current version on an incident: each step becomes an action.

    Each action's owner is the user in the step's role on the incident now; a step
    whose role is vacant gets no owner. The incident keeps this version even after the
    file changes.
    """
    version = runbook.current_version
    if version is None:
        raise ValidationError({"runbook": f"Runbook {runbook.slug!r} has no loaded version."})

    with transaction.atomic(), acting_as(actor):
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if not incident.is_open:
            raise ValidationError(
                {"runbook": f"{incident.key} is {incident.status}: runbooks start on open ones."}
            )
        running = incident.runbooks.filter(version__runbook=runbook).select_related("version")
        if running.exists():
            started = running.first().version
            raise ValidationError(
                {"runbook": f"{runbook.slug} is already started on {incident.key} ({started})."}
            )
        use = IncidentRunbook(incident=incident, version=version, started_by=actor.user)
        use.full_clean()
        use.save()

        holders = {name: getattr(incident, name) for name in ROLE_HOLDER_FIELDS}
        steps = list(version.steps.all())
        for step in steps:
            action_create(
                incident=incident,
                actor=actor,
                title=step.text,
                kind=step.kind,
                description=f"{runbook.title} v{version.number}, {step.section}".strip(", "),
                owner=holders.get(step.role),
                runbook_step=step,
            )
        vacant = sorted(
            {step.get_role_display() for step in steps if holders.get(step.role) is None}
        )
        text = f"Runbook {runbook.title} v{version.number} started: {len(steps)} steps"
        if vacant:
            text += "; no owner yet for steps of the " + ", ".join(vacant).lower()
        timeline_record(
            incident=incident,
            actor=actor,
            kind=TimelineKind.RUNBOOK,
            text=text,
            data={"runbook": runbook.slug, "version": version.number, "steps": len(steps)},
        )
    return use
