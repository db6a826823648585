"""The runbook file format, and its parser.

A runbook is a Markdown file whose name is its slug::

    ---
    title: Credential or token leak
    order: 2
    ---

    ## Purpose
    Why the runbook exists.

    ## When to use
    The signals that call for it.

    ## Containment
    - [ ] [containment @security-lead] Revoke the leaked token.

Front matter contains `title` (required) and `order` (optional, for lists). "Purpose"
and "When to use" sections are required. Every other `##` section holds checklist
steps: `- [ ] [<kind> @<role>] <text>`, where kind is an action kind (containment,
eradication, recovery, investigation) and role is commander, security-lead,
communications-lead or scribe. Other lines are prose for the reader and are kept only
in the stored source.
"""

import hashlib
import re
from dataclasses import dataclass

from incidents.choices import ActionKind, RunbookRole

STEP_PATTERN = re.compile(r"^- \[ \] \[(?P<kind>[a-z]+) @(?P<role>[a-z-]+)\] (?P<text>\S.*)$")
REQUIRED_SECTIONS = {"purpose": "Purpose", "when to use": "When to use"}
MAX_STEP_LENGTH = 300


class RunbookFormatError(ValueError):
    """A runbook file that does not follow the format; the message names file and line."""


@dataclass(frozen=True)
class ParsedStep:
    section: str
    text: str
    kind: str
    role: str


@dataclass(frozen=True)
class ParsedRunbook:
    slug: str
    title: str
    order: int
    purpose: str
    when_to_use: str
    steps: tuple[ParsedStep, ...]
    source: str
    content_hash: str


def _split_front_matter(name: str, lines: list[str]) -> tuple[dict[str, str], list[str], int]:
    if not lines or lines[0].strip() != "---":
        raise RunbookFormatError(f"{name}: line 1: expected '---' to open the front matter.")
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            break
    else:
        raise RunbookFormatError(f"{name}: the front matter is never closed with '---'.")
    fields = {}
    for number, line in enumerate(lines[1:index], start=2):
        if not line.strip():
            continue
        key, separator, value = line.partition(":")
        if not separator:
            raise RunbookFormatError(f"{name}: line {number}: expected 'key: value', got {line!r}.")
        fields[key.strip().lower()] = value.strip()
    return fields, lines[index + 1 :], index + 2


def _parse_step(name: str, number: int, line: str, section: str) -> ParsedStep:
    match = STEP_PATTERN.match(line)
    if match is None:
        raise RunbookFormatError(
            f"{name}: line {number}: a step must read '- [ ] [<kind> @<role>] <text>', "
            f"got {line!r}."
        )
    kind = match["kind"]
    role = match["role"].replace("-", "_")
    if kind not in ActionKind.values:
        raise RunbookFormatError(
            f"{name}: line {number}: unknown step kind {kind!r}: use one of {ActionKind.values}."
        )
    if role not in RunbookRole.values:
        roles = [value.replace("_", "-") for value in RunbookRole.values]
        raise RunbookFormatError(
            f"{name}: line {number}: unknown role {match['role']!r}: use one of {roles}."
        )
    text = match["text"].strip()
    if len(text) > MAX_STEP_LENGTH:
        raise RunbookFormatError(
            f"{name}: line {number}: a step is at most {MAX_STEP_LENGTH} characters long."
        )
    return ParsedStep(section=section, text=text, kind=kind, role=role)


def parse_runbook(slug: str, content: bytes) -> ParsedRunbook:
    """Parse one runbook file; raise RunbookFormatError naming the line at fault."""
    name = f"{slug}.md"
    try:
        source = content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RunbookFormatError(f"{name}: not UTF-8 text ({error}).") from None
    fields, body, first_line = _split_front_matter(name, source.splitlines())
    title = fields.get("title", "")
    if not title:
        raise RunbookFormatError(f"{name}: the front matter needs a 'title'.")
    try:
        order = int(fields.get("order", "100"))
    except ValueError:
        raise RunbookFormatError(f"{name}: 'order' must be a whole number.") from None

    prose: dict[str, list[str]] = {}
    steps: list[ParsedStep] = []
    section = ""
    for number, line in enumerate(body, start=first_line):
        if line.startswith("## "):
            section = line[3:].strip()
            continue
        if line.startswith("- ["):
            steps.append(_parse_step(name, number, line.rstrip(), section))
            continue
        if section.lower() in REQUIRED_SECTIONS:
            prose.setdefault(section.lower(), []).append(line)

    texts = {key: "\n".join(lines).strip() for key, lines in prose.items()}
    for key, heading in REQUIRED_SECTIONS.items():
        if not texts.get(key):
            raise RunbookFormatError(f"{name}: the '## {heading}' section is missing or empty.")
    if not steps:
        raise RunbookFormatError(f"{name}: a runbook needs at least one '- [ ]' step.")
    return ParsedRunbook(
        slug=slug,
        title=title,
        order=order,
        purpose=texts["purpose"],
        when_to_use=texts["when to use"],
        steps=tuple(steps),
        source=source,
        content_hash=hashlib.sha256(content).hexdigest(),
    )
