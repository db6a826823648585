"""Rendering communication templates with an incident's data.

Templates are edited by staff, so they run on their own engines: no template loaders
(so `{% include %}` and `{% extends %}` find nothing) and only the built-in tags and
filters. The context contains plain strings, numbers and dates, never model instances, so
a template cannot reach methods or related rows. User text in the context is data:
the engine never evaluates it as template code.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template import Context, Engine, TemplateDoesNotExist, TemplateSyntaxError
from django.utils.html import escape, linebreaks
from django.utils.safestring import SafeString

from incidents.choices import ActionStatus, ClockKind
from incidents.models import Clock, Incident

TEXT_ENGINE = Engine(autoescape=False, loaders=[], libraries={})
HTML_ENGINE = Engine(autoescape=True, loaders=[], libraries={})
ROLE_FIELDS = ("commander", "security_lead", "communications_lead", "scribe")


@dataclass(frozen=True)
class RenderedCommunication:
    subject: str
    text: str
    html: SafeString


def _username(user) -> str:
    return user.get_username() if user is not None else ""


def template_context(incident: Incident) -> dict:
    """Return the values a communication template can use, as plain data."""
    update_clock = Clock.objects.running().filter(incident=incident, kind=ClockKind.UPDATE).first()
    if update_clock is not None:
        next_update_at = update_clock.due_at
    else:
        next_update_at = None
    open_actions = incident.actions.exclude(
        status__in=(ActionStatus.DONE, ActionStatus.CANCELLED)
    ).select_related("owner")
    return {
        "incident": {
            "key": incident.key,
            "title": incident.title,
            "summary": incident.summary,
            "severity": incident.severity,
            "severity_label": incident.get_severity_display(),
            "category": incident.get_category_display(),
            "status": incident.status,
            "status_label": incident.get_status_display(),
            "detected_at": incident.detected_at,
            "resolved_at": incident.resolved_at,
        },
        "roles": {name: _username(getattr(incident, name)) for name in ROLE_FIELDS},
        "services": ", ".join(service.name for service in incident.affected_services.all()),
        "open_actions": [
            {"title": action.title, "owner": _username(action.owner)} for action in open_actions
        ],
        "next_update_at": next_update_at,
        "update_interval_minutes": settings.UPDATE_INTERVAL_MINUTES,
    }


def compile_template(field: str, source: str, engine: Engine = TEXT_ENGINE):
    try:
        return engine.from_string(source)
    except TemplateSyntaxError as error:
        message = str(error)
        if "is not a registered tag library" in message:
            # Django would go on to list the libraries that may be loaded: here, none.
            library = message.split(" is not")[0]
            message = (
                f"{library} cannot be loaded: communication templates use only the "
                "built-in tags and filters."
            )
        raise ValidationError({field: f"Invalid template: {message}"}) from None


def _render(field: str, source: str, context: Context, engine: Engine = TEXT_ENGINE) -> str:
    try:
        return compile_template(field, source, engine).render(context)
    except TemplateDoesNotExist as error:
        # {% include %} and {% extends %} find nothing, because the engines have no loaders.
        raise ValidationError({field: f"Invalid template: no template named {error}."}) from None


def text_to_html(text: str) -> SafeString:
    """HTML for a plain-text body: every character escaped, paragraphs and line breaks kept."""
    return SafeString(linebreaks(escape(text)))


def render_communication(
    *, subject: str, body: str, incident: Incident, extra: dict | None = None
) -> RenderedCommunication:
    """Render a subject and body: as plain text, and as autoescaped HTML for previews."""
    context = template_context(incident) | (extra or {})
    # Context() escapes unless given autoescape=False, whatever the engine's default.
    subject_text = _render("subject", subject, Context(context, autoescape=False))
    text = _render("body", body, Context(context, autoescape=False))
    html = _render("body", body, Context(context, autoescape=True), HTML_ENGINE)
    # A subject is a single header line.
    subject_text = " ".join(subject_text.split())
    return RenderedCommunication(
        subject=subject_text[:255], text=text.strip(), html=SafeString(linebreaks(html.strip()))
    )


__all__ = ["RenderedCommunication", "render_communication", "template_context", "text_to_html"]
