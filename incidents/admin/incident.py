"""The incident admin: the staff's main tool. Every save goes through the services."""

from datetime import timedelta

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from incidents.actors import Actor
from incidents.admin.base import LargeTableAdmin
from incidents.admin.forms import NoteForm, SeverityForm, TransitionForm, add_service_errors
from incidents.admin.history import AuditHistoryAdmin
from incidents.admin.inlines import ActionInline, AlertInline, TimelineInline
from incidents.admin.response import (
    RESPONSE_INLINES,
    RESPONSE_LIST_DISPLAY,
    RESPONSE_LIST_FILTERS,
    RESPONSE_PREFETCH,
    runbook_actions,
)
from incidents.admin.response_views import response_admin_urls
from incidents.choices import ActionStatus, Status
from incidents.models import Action, Alert, Incident, TimelineEntry
from incidents.selectors import incidents_visible_to
from incidents.services import (
    action_create,
    action_update,
    incident_change_severity,
    incident_create,
    incident_transition,
    incident_update,
    timeline_add_note,
)

LIFECYCLE_FIELDS = (
    "detected_at",
    "acknowledged_at",
    "mitigated_at",
    "resolved_at",
    "closed_at",
    "time_to_acknowledge",
    "time_to_resolve",
)
DETAIL_FIELDS = ("title", "summary", "category", "private", "affected_services")
ROLE_FIELDS = ("commander", "security_lead")


def _format_duration(duration: timedelta | None) -> str:
    """Format as hours:minutes:seconds, such as 2:05:00, with days first when longer."""
    if duration is None:
        return "–"
    return str(timedelta(seconds=round(duration.total_seconds())))


def _transition_action(target: str, label: str):
    @admin.action(description=f"Move selected incidents to {label.lower()}", permissions=["change"])
    def transition(modeladmin, request, queryset):
        modeladmin.transition_selected(request, queryset, target)

    transition.__name__ = f"transition_to_{target}"
    return transition


# No transition leads back to detected, so it is no target.
TRANSITION_ACTIONS = [
    _transition_action(value, label) for value, label in Status.choices if value != Status.DETECTED
]


@admin.register(Incident)
class IncidentAdmin(AuditHistoryAdmin, LargeTableAdmin):
    list_display = (
        "key",
        "title",
        "severity",
        "status",
        "category",
        "private",
        "commander",
        "detected_at",
        *RESPONSE_LIST_DISPLAY,
    )
    list_filter = (
        "severity",
        "status",
        "category",
        "private",
        "affected_services",
        *RESPONSE_LIST_FILTERS,
    )
    search_fields = ("key", "title")
    list_select_related = ("commander",)
    autocomplete_fields = ("commander", "security_lead", "affected_services")
    inlines = (ActionInline, AlertInline, TimelineInline)
    actions = TRANSITION_ACTIONS
    history_columns = (("status", "Status"), ("severity", "Severity"))

    def get_queryset(self, request):
        return incidents_visible_to(request.user).prefetch_related(RESPONSE_PREFETCH)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self.has_change_permission(request):
            actions.update(runbook_actions())
        return actions

    def get_inlines(self, request, obj):
        if obj is None:
            return self.inlines
        # Clocks, triage, runbooks and follow-ups exist only once the incident does.
        return (ActionInline, *RESPONSE_INLINES, AlertInline, TimelineInline)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                (None, {"fields": ("title", "summary", "category", "severity", "private")}),
                ("Affected services and roles", {"fields": ("affected_services", *ROLE_FIELDS)}),
                ("Lifecycle", {"fields": ("detected_at",)}),
            ]
        return [
            (None, {"fields": ("key", "status", "severity", *DETAIL_FIELDS)}),
            ("Roles", {"fields": ROLE_FIELDS}),
            ("Lifecycle", {"fields": LIFECYCLE_FIELDS}),
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        # Status and severity change through their own forms, which record a reason.
        return ("key", "status", "severity", *LIFECYCLE_FIELDS)

    @admin.display(description="Time to acknowledge (MTTA)")
    def time_to_acknowledge(self, incident: Incident) -> str:
        return _format_duration(incident.time_to_acknowledge)

    @admin.display(description="Time to resolve (MTTR)")
    def time_to_resolve(self, incident: Incident) -> str:
        return _format_duration(incident.time_to_resolve)

    def has_delete_permission(self, request, obj=None) -> bool:
        # An incident is a record: it is closed, never deleted, and its timeline
        # rows protect it in the database too.
        return False

    # Saving

    def save_model(self, request, obj, form, change):
        actor = Actor.for_user(request.user)
        data = form.cleaned_data
        if change:
            fields = {name: data[name] for name in form.changed_data if name != "affected_services"}
            services = (
                data["affected_services"] if "affected_services" in form.changed_data else None
            )
            incident_update(incident=obj, actor=actor, services=services, **fields)
            return

        created = incident_create(
            actor=actor,
            title=data["title"],
            summary=data["summary"],
            category=data["category"],
            severity=data["severity"],
            private=data["private"],
            commander=data["commander"],
            security_lead=data["security_lead"],
            services=data["affected_services"],
            detected_at=data["detected_at"],
        )
        # The admin goes on with `obj` (inlines, log entry, redirect), so it takes on
        # the stored row's identity.
        obj.pk = created.pk
        obj.refresh_from_db()
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        # The services have set the affected services, so form.save_m2m() is skipped.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        if formset.model not in (Action, Alert, TimelineEntry):
            super().save_formset(request, form, formset, change)
            return

        # The admin's change message reads these lists, which formset.save() would fill.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if formset.model is Action:
            self._save_actions(request, form.instance, formset)

    def _save_actions(self, request, incident: Incident, formset) -> None:
        actor = Actor.for_user(request.user)
        for action_form in formset.forms:
            if not action_form.has_changed():
                continue
            data = action_form.cleaned_data
            if action_form.instance.pk is None:
                created = self._create_action(incident, actor, data)
                formset.new_objects.append(created)
            else:
                changed = {name: data[name] for name in action_form.changed_data}
                updated = action_update(action=action_form.instance, actor=actor, **changed)
                formset.changed_objects.append((updated, list(changed)))

    @staticmethod
    def _create_action(incident: Incident, actor: Actor, data: dict) -> Action:
        created = action_create(
            incident=incident,
            actor=actor,
            title=data["title"],
            kind=data["kind"],
            owner=data["owner"],
            due_at=data["due_at"],
        )
        if data["status"] != ActionStatus.OPEN:
            created = action_update(action=created, actor=actor, status=data["status"])
        return created

    # Transitions and severity changes

    def transition_selected(self, request, queryset, target: str) -> None:
        actor = Actor.for_user(request.user)
        moved = []
        for incident in queryset:
            try:
                incident_transition(incident=incident, actor=actor, to_status=target)
            except ValidationError as error:
                self.message_user(
                    request, f"{incident.key}: {' '.join(error.messages)}", messages.ERROR
                )
            else:
                moved.append(incident.key)
        if moved:
            self.message_user(request, f"Moved to {target}: {', '.join(moved)}.", messages.SUCCESS)

    @property
    def _url_prefix(self) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}"

    def get_urls(self):
        views = {
            "transition": self.transition_view,
            "severity": self.severity_view,
            "note": self.note_view,
        }
        own = [
            path(
                f"<path:object_id>/{name}/",
                self.admin_site.admin_view(view),
                name=f"{self._url_prefix}_{name}",
            )
            for name, view in views.items()
        ]
        # Before the defaults, whose `<path:object_id>/` pattern would match first.
        return own + response_admin_urls(self) + super().get_urls()

    def transition_view(self, request, object_id):
        def apply(incident, actor, data):
            incident_transition(
                incident=incident,
                actor=actor,
                to_status=data["status"],
                note=data["note"],
                override_reason=data["override_reason"],
            )

        return self._service_form_view(
            request,
            object_id,
            make_form=lambda incident, data: TransitionForm(data, incident=incident),
            apply=apply,
            title="Change status of",
            done=lambda incident, data: f"{incident.key} moved to {data['status']}.",
        )

    def severity_view(self, request, object_id):
        def apply(incident, actor, data):
            incident_change_severity(incident=incident, actor=actor, **data)

        return self._service_form_view(
            request,
            object_id,
            make_form=lambda incident, data: SeverityForm(
                data, initial={"severity": incident.severity}
            ),
            apply=apply,
            title="Change severity of",
            done=lambda incident, data: f"{incident.key} is now {data['severity']}.",
        )

    def note_view(self, request, object_id):
        def apply(incident, actor, data):
            timeline_add_note(incident=incident, actor=actor, text=data["text"])

        return self._service_form_view(
            request,
            object_id,
            make_form=lambda incident, data: NoteForm(data),
            apply=apply,
            title="Add a note to",
            done=lambda incident, data: f"Note added to {incident.key}.",
        )

    def _service_form_view(self, request, object_id, *, make_form, apply, title, done):
        """Show a form for one incident and submit it to a service as the admin user."""
        incident = self._incident_to_change(request, object_id)
        form = make_form(incident, request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                apply(incident, Actor.for_user(request.user), form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                self.message_user(request, done(incident, form.cleaned_data), messages.SUCCESS)
                change_url = reverse(f"admin:{self._url_prefix}_change", args=[incident.pk])
                return redirect(change_url)

        context = {
            **self.admin_site.each_context(request),
            "title": f"{title} {incident.key}",
            "opts": self.opts,
            "original": incident,
            "form": form,
            "has_view_permission": self.has_view_permission(request, incident),
        }
        return TemplateResponse(request, "admin/incidents/incident/service_form.html", context)

    def _incident_to_change(self, request, object_id) -> Incident:
        incident = self.get_object(request, unquote(object_id))
        if incident is None:
            raise Http404(f"No incident with id {object_id!r} is visible to you.")
        if not self.has_change_permission(request, incident):
            raise PermissionDenied
        return incident
