"""Admin pages for one incident's response, and the metrics page.

`response_admin_urls(model_admin)` returns their URL patterns for any ModelAdmin of
Incident or of its proxies: the response desk uses them, and the incident admin can
add them to its own `get_urls()`.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from incidents.actors import Actor
from incidents.admin.response_forms import (
    RolesForm,
    RunbookStartForm,
    TemplateDraftForm,
    TransitionForm,
    TriageForm,
)
from incidents.metrics import response_metrics
from incidents.models import Incident, SeverityLevel
from incidents.selectors import incident_document, incidents_visible_to
from incidents.services import incident_transition, incident_update
from incidents.services.communications import communication_draft_from_template
from incidents.services.runbooks import runbook_start
from incidents.services.triage import incident_engage_security_lead, incident_triage
from incidents.triage import TriageAnswers, suggest_severity


def _incident(request: HttpRequest, object_id: str) -> Incident:
    return get_object_or_404(incidents_visible_to(request.user), pk=object_id)


def _report_errors(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def page_name(model_admin, page: str) -> str:
    """Return the URL name of a response page of this ModelAdmin, without the admin namespace."""
    return f"{model_admin.opts.app_label}_{model_admin.opts.model_name}_{page}"


def page_url(model_admin, page: str, *args) -> str:
    return reverse(
        f"admin:{page_name(model_admin, page)}",
        args=args,
        current_app=model_admin.admin_site.name,
    )


def document_url(model_admin, incident: Incident) -> str:
    return page_url(model_admin, "document", incident.pk)


def _run_action(request: HttpRequest, incident: Incident) -> str:
    """Perform the POSTed action through its service; return the success message."""
    actor = Actor.for_user(request.user)
    action = request.POST.get("action", "")
    if action == "engage":
        incident_engage_security_lead(incident=incident, actor=actor)
        return "Security lead engagement recorded."
    if action == "transition":
        form = TransitionForm(request.POST, incident=incident)
        if not form.is_valid():
            raise ValidationError(form.errors.as_data().get("to_status", ["Invalid status."]))
        incident_transition(incident=incident, actor=actor, **form.cleaned_data)
        return f"Moved to {form.cleaned_data['to_status']}."
    if action == "runbook":
        form = RunbookStartForm(request.POST)
        if not form.is_valid():
            raise ValidationError({"runbook": "Choose a runbook."})
        runbook_start(incident=incident, actor=actor, runbook=form.cleaned_data["runbook"])
        return f"Runbook {form.cleaned_data['runbook']} started."
    if action == "draft":
        form = TemplateDraftForm(request.POST)
        if not form.is_valid():
            raise ValidationError({"template": "Choose a template."})
        communication_draft_from_template(
            incident=incident, actor=actor, template=form.cleaned_data["template"]
        )
        return "Update drafted: review and approve it under Communications."
    if action == "roles":
        form = RolesForm(request.POST)
        if not form.is_valid():
            raise ValidationError({"roles": "Choose active staff users."})
        incident_update(incident=incident, actor=actor, **form.cleaned_data)
        return "Roles saved."
    raise ValidationError({"action": f"Unknown action {action!r}."})


def document_view(model_admin, request: HttpRequest, object_id: str) -> HttpResponse:
    """Render the incident document on one page, with the response forms beside it."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    incident = _incident(request, object_id)
    if request.method == "POST":
        if not model_admin.has_change_permission(request):
            raise PermissionDenied
        try:
            messages.success(request, _run_action(request, incident))
        except ValidationError as error:
            _report_errors(request, error)
        return HttpResponseRedirect(request.path)

    roles = {name: getattr(incident, f"{name}_id") for name in RolesForm.base_fields}
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": f"{incident.key}: incident document",
        "incident": incident,
        "document": incident_document(incident),
        "timeline": incident.timeline.select_related("actor_user"),
        "communications": incident.communications.select_related("approved_by"),
        "transition_form": TransitionForm(incident=incident),
        "runbook_form": RunbookStartForm(),
        "draft_form": TemplateDraftForm(),
        "roles_form": RolesForm(initial=roles),
        "triage_url": page_url(model_admin, "triage", incident.pk),
    }
    return TemplateResponse(request, "admin/incidents/response/document.html", context)


def triage_view(model_admin, request: HttpRequest, object_id: str) -> HttpResponse:
    """Ask the triage questions, show the matrix's suggestion, and record the decision."""
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    incident = _incident(request, object_id)
    form = TriageForm(request.POST or None)
    suggestion = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            answers = TriageAnswers(
                member_impact=data["member_impact"],
                data_exposure=data["data_exposure"],
                services_affected=data["services_affected"] or 0,
                api_p95_ms=data["api_p95_ms"],
                websocket_delivery_ms=data["websocket_delivery_ms"],
            )
            suggestion = suggest_severity(answers)
            if "save" in request.POST:
                incident_triage(
                    incident=incident,
                    actor=Actor.for_user(request.user),
                    answers=answers,
                    severity=data["severity"] or None,
                    reason=data["reason"],
                )
                messages.success(request, f"{incident.key} triaged.")
                return HttpResponseRedirect(document_url(model_admin, incident))
        except ValidationError as error:
            _report_errors(request, error)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": f"Triage {incident.key}",
        "incident": incident,
        "form": form,
        "suggestion": suggestion,
        "levels": SeverityLevel.objects.all(),
        "document_url": document_url(model_admin, incident),
    }
    return TemplateResponse(request, "admin/incidents/response/triage.html", context)


def metrics_view(model_admin, request: HttpRequest) -> HttpResponse:
    """Render MTTA and MTTR per month and severity, and the slow SEV0 to SEV2 incidents."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    report = response_metrics(incidents_visible_to(request.user))
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": "Response metrics",
        "report": report,
    }
    return TemplateResponse(request, "admin/incidents/response/metrics.html", context)


def response_admin_urls(model_admin) -> list:
    """Return URL patterns for the response pages, named admin:<app>_<model>_<page>."""
    site = model_admin.admin_site

    def wrap(view):
        def wrapper(request, *args, **kwargs):
            # As ModelAdmin views do, so {% url 'admin:...' %} resolves on this site.
            request.current_app = site.name
            return view(model_admin, request, *args, **kwargs)

        return site.admin_view(wrapper)

    return [
        path(
            "<path:object_id>/document/",
            wrap(document_view),
            name=page_name(model_admin, "document"),
        ),
        path("<path:object_id>/triage/", wrap(triage_view), name=page_name(model_admin, "triage")),
        path("metrics/", wrap(metrics_view), name=page_name(model_admin, "metrics")),
    ]
