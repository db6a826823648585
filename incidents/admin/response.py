"""Admin for the response process.

Registered here: the response desk (incidents with their clocks, document, triage and
metrics pages), severity levels, runbooks, communication templates, communications,
retrospectives, remediation tasks, drills and clocks. Every save and action calls a
service, so the admin applies the same rules as the API.

The incident admin can show the same response data. Add these to IncidentAdmin:

    list_display = (..., *RESPONSE_LIST_DISPLAY)
    list_filter = (..., *RESPONSE_LIST_FILTERS)
    inlines = (..., *RESPONSE_INLINES)

    def get_urls(self):
        return response_admin_urls(self) + super().get_urls()

    def get_actions(self, request):
        return {**super().get_actions(request), **runbook_actions()}

and link to the document page with `document_url(self, incident)`.
"""

from datetime import timedelta
from functools import partial

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from incidents.actors import Actor
from incidents.admin.history import AuditHistoryAdmin
from incidents.admin.response_forms import TemplatePreviewForm
from incidents.admin.response_views import document_url, page_url, response_admin_urls
from incidents.choices import RetrospectiveStatus
from incidents.communications import render_communication, text_to_html
from incidents.metrics import incident_figures
from incidents.models import (
    Clock,
    Communication,
    CommunicationStatus,
    CommunicationTemplate,
    Drill,
    IncidentResponse,
    IncidentRunbook,
    RemediationTask,
    Retrospective,
    Runbook,
    RunbookStep,
    RunbookVersion,
    SeverityLevel,
    TriageAssessment,
)
from incidents.selectors import incidents_visible_to, runbook_progress
from incidents.services.communications import (
    communication_approve,
    communication_draft,
    communication_send,
    communication_update,
)
from incidents.services.drills import drill_record, drill_update
from incidents.services.reference import reference_save
from incidents.services.retrospectives import (
    REMEDIATION_FIELDS,
    RETROSPECTIVE_FIELDS,
    remediation_create,
    remediation_update,
    retrospective_hold,
    retrospective_publish,
    retrospective_update,
)
from incidents.services.runbooks import runbook_start


def _actor(request) -> Actor:
    return Actor.for_user(request.user)


def _changed_fields(form, names) -> dict:
    return {name: form.cleaned_data[name] for name in form.changed_data if name in names}


def service_action(service, *, argument: str, done: tuple[str, str], description: str):
    """Build an admin action that calls `service` for each selected row.

    Each rejection is reported with its row, and the successes are counted; `done` is
    the singular and the plural of what the count counts, such as ("update sent",
    "updates sent").
    """

    def action(modeladmin, request, queryset):
        count = 0
        for obj in queryset:
            try:
                service(actor=_actor(request), **{argument: obj})
                count += 1
            except ValidationError as error:
                for message in error.messages:
                    modeladmin.message_user(request, f"{obj}: {message}", messages.ERROR)
        if count:
            text = done[0] if count == 1 else done[1]
            modeladmin.message_user(request, f"{count} {text}.", messages.SUCCESS)

    action.short_description = description
    # Each service changes the row, so a user who may only view it gets no such action.
    action.allowed_permissions = ("change",)
    return action


class ServiceManyToManyMixin:
    """For admins whose services save the many-to-many fields themselves."""

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


# Changelist columns and filters, shared with the incident admin.


@admin.display(description="Clocks")
def clock_summary(incident):
    clocks = sorted(incident.clocks.all(), key=lambda clock: clock.due_at)
    if not clocks:
        return "–"
    rows = []
    for clock in clocks:
        state = clock.get_state_display()
        if clock.state in ("running", "breached"):
            due = timezone.localtime(clock.due_at).strftime("%d %b %H:%M")
            state = f"{state}, due {due}"
        rows.append((clock.get_kind_display(), state))
    return format_html_join(mark_safe("<br>"), "{}: {}", rows)


@admin.display(description="Breached", boolean=True)
def clock_breached(incident):
    return any(clock.breached_at is not None for clock in incident.clocks.all())


class ClockRiskFilter(admin.SimpleListFilter):
    """Incidents whose clocks need attention now."""

    title = "clock at risk"
    parameter_name = "clock_risk"

    def lookups(self, request, model_admin):
        return [
            ("at_risk", f"Breached or due within {settings.CLOCK_AT_RISK_MINUTES} minutes"),
            ("breached", "Breached, not yet met"),
            ("running", "Any clock running"),
            ("breached_ever", "Breached at any time"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        clocks = Clock.objects.all()
        if value == "at_risk":
            within = timedelta(minutes=settings.CLOCK_AT_RISK_MINUTES)
            clocks = clocks.at_risk(within=within)
        elif value == "breached":
            clocks = clocks.at_risk()
        elif value == "running":
            clocks = clocks.running()
        elif value == "breached_ever":
            clocks = clocks.filter(breach_count__gt=0)
        else:
            return queryset
        return queryset.filter(pk__in=clocks.values("incident_id"))


@admin.display(description="MTTR over 60 min", boolean=True)
def mttr_exceeded(incident):
    if incident.is_drill or incident.time_to_resolve is None:
        return None
    return incident_figures(incident).mttr_exceeded


RESPONSE_LIST_DISPLAY = (clock_summary, clock_breached, mttr_exceeded)
RESPONSE_LIST_FILTERS = (ClockRiskFilter, "is_drill")
RESPONSE_PREFETCH = Prefetch("clocks", queryset=Clock.objects.order_by("due_at"))


# Read-only inlines: rows change through their own admins and services.


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ClockInline(ReadOnlyInline):
    model = Clock
    fields = ["kind", "state", "due_at", "reminded_at", "met_at", "breached_at", "breach_count"]
    readonly_fields = fields
    show_change_link = False

    @admin.display(description="State")
    def state(self, clock):
        return clock.get_state_display()


class IncidentRunbookInline(ReadOnlyInline):
    model = IncidentRunbook
    fields = ["version", "started_at", "started_by", "progress"]
    readonly_fields = fields
    show_change_link = False
    verbose_name = "runbook"

    @admin.display(description="Progress")
    def progress(self, use):
        figures = runbook_progress(use)
        return f"{figures['done']} of {figures['total']} steps done"


class TriageAssessmentInline(ReadOnlyInline):
    model = TriageAssessment
    fields = ["decided_at", "decided_by", "suggested_severity", "severity", "reason"]
    readonly_fields = fields
    show_change_link = False


class CommunicationInline(ReadOnlyInline):
    model = Communication
    fields = ["audience", "subject", "status", "approved_by", "sent_at"]
    readonly_fields = fields


class RemediationTaskInline(ReadOnlyInline):
    model = RemediationTask
    fields = ["title", "owner", "due_date", "status", "tracker_key"]
    readonly_fields = fields


RESPONSE_INLINES = (
    ClockInline,
    TriageAssessmentInline,
    IncidentRunbookInline,
    CommunicationInline,
    RemediationTaskInline,
)


def runbook_actions() -> dict:
    """Return one changelist action per loaded runbook: start it on the selected incidents."""
    actions = {}
    for runbook in Runbook.objects.all():
        name = f"start_runbook_{runbook.slug.replace('-', '_')}"
        description = f"Start runbook: {runbook.title}"
        action = service_action(
            partial(runbook_start, runbook=runbook),
            argument="incident",
            done=(f"incident started {runbook.title}", f"incidents started {runbook.title}"),
            description=description,
        )
        actions[name] = (action, name, description)
    return actions


@admin.register(IncidentResponse)
class IncidentResponseAdmin(admin.ModelAdmin):
    """The response desk: what is due and at risk, one row per incident."""

    list_display = ["key", "title", "severity", "status", "commander", *RESPONSE_LIST_DISPLAY]
    list_filter = [*RESPONSE_LIST_FILTERS, "status", "severity", "category"]
    search_fields = ["key", "title"]
    inlines = RESPONSE_INLINES
    ordering = ["-detected_at"]
    list_select_related = ["commander"]
    show_full_result_count = False
    change_list_template = "admin/incidents/response/change_list.html"

    def get_queryset(self, request):
        visible = incidents_visible_to(request.user)
        return IncidentResponse.objects.filter(pk__in=visible.values("pk")).prefetch_related(
            RESPONSE_PREFETCH
        )

    def get_urls(self):
        return response_admin_urls(self) + super().get_urls()

    def get_actions(self, request):
        return runbook_actions() if self.has_change_permission(request) else {}

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        incident = self.get_object(request, object_id)
        if incident is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return HttpResponseRedirect(document_url(self, incident))

    def changelist_view(self, request, extra_context=None):
        extra = {"metrics_url": page_url(self, "metrics")}
        return super().changelist_view(request, {**extra, **(extra_context or {})})


# Reference data.


class ReferenceAdmin(AuditHistoryAdmin):
    def save_model(self, request, obj, form, change):
        reference_save(instance=obj, actor=_actor(request))


@admin.register(SeverityLevel)
class SeverityLevelAdmin(ReferenceAdmin):
    list_display = ["level", "name", "member_impact", "data_exposure", "slo_breach"]
    list_display_links = ["level", "name"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CommunicationTemplate)
class CommunicationTemplateAdmin(ReferenceAdmin):
    list_display = ["name", "audience", "category", "active"]
    list_filter = ["audience", "category", "active"]
    change_form_template = "admin/incidents/response/template_change_form.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """Show a preview of the stored template rendered with a chosen incident."""
        extra = dict(extra_context or {})
        template = self.get_object(request, object_id)
        form = TemplatePreviewForm(request.GET or None)
        if template is not None and form.is_valid():
            incident = incidents_visible_to(request.user).filter(
                key=form.cleaned_data["incident_key"].strip()
            )
            incident = incident.first()
            if incident is None:
                form.add_error("incident_key", "No visible incident has this key.")
            else:
                try:
                    extra["preview"] = render_communication(
                        subject=template.subject, body=template.body, incident=incident
                    )
                except ValidationError as error:
                    form.add_error(None, error.messages)
        extra["preview_form"] = form
        return super().change_view(request, object_id, form_url, extra)


class RunbookStepInline(ReadOnlyInline):
    model = RunbookStep
    fields = ["position", "section", "text", "kind", "role"]
    readonly_fields = fields
    show_change_link = False


@admin.register(RunbookVersion)
class RunbookVersionAdmin(AuditHistoryAdmin):
    list_display = ["runbook", "number", "loaded_at", "content_hash"]
    readonly_fields = [
        "runbook",
        "number",
        "content_hash",
        "loaded_at",
        "purpose",
        "when_to_use",
        "source",
    ]
    exclude = ["source"]
    inlines = [RunbookStepInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RunbookVersionInline(ReadOnlyInline):
    model = RunbookVersion
    fields = ["number", "loaded_at", "content_hash"]
    readonly_fields = fields


@admin.register(Runbook)
class RunbookAdmin(AuditHistoryAdmin):
    """Runbooks change in the repository and are loaded with `manage.py load_runbooks`."""

    list_display = ["title", "slug", "position"]
    readonly_fields = ["title", "slug", "position"]
    inlines = [RunbookVersionInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# Work on incidents.


class IncidentScopedAdmin(AuditHistoryAdmin):
    """Rows of visible incidents only."""

    def get_queryset(self, request):
        visible = incidents_visible_to(request.user)
        return super().get_queryset(request).filter(incident__in=visible)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "incident":
            kwargs["queryset"] = incidents_visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Communication)
class CommunicationAdmin(IncidentScopedAdmin):
    list_display = ["subject", "incident", "audience", "status", "approved_by", "sent_at"]
    list_filter = ["status", "audience"]
    search_fields = ["subject", "incident__key"]
    fields = ["incident", "audience", "subject", "body", "status", "approved_by", "sent_at"]
    readonly_fields = ["status", "approved_by", "sent_at"]
    actions = ["approve", "send"]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        return [*self.readonly_fields, "incident", "audience", "html_preview"]

    def get_fields(self, request, obj=None):
        return self.fields if obj is None else [*self.fields, "html_preview"]

    def has_change_permission(self, request, obj=None):
        # A sent update is a record: draft a new one instead of editing it.
        if obj is not None and obj.status == CommunicationStatus.SENT:
            return False
        return super().has_change_permission(request, obj)

    @admin.display(description="As e-mailed (HTML)")
    def html_preview(self, communication):
        return text_to_html(communication.body)

    def save_model(self, request, obj, form, change):
        if change:
            communication_update(
                communication=obj,
                actor=_actor(request),
                **_changed_fields(form, {"subject", "body"}),
            )
            return
        created = communication_draft(
            incident=obj.incident,
            actor=_actor(request),
            audience=obj.audience,
            subject=obj.subject,
            body=obj.body,
        )
        obj.pk = created.pk
        obj._state.adding = False

    approve = service_action(
        communication_approve,
        argument="communication",
        done=("update approved", "updates approved"),
        description="Approve the selected drafts",
    )
    send = service_action(
        communication_send,
        argument="communication",
        done=("update sent", "updates sent"),
        description="Send the selected approved updates",
    )


@admin.register(Retrospective)
class RetrospectiveAdmin(ServiceManyToManyMixin, IncidentScopedAdmin):
    show_full_result_count = False
    list_display = ["incident", "status", "due_date", "held_at", "published_at"]
    list_filter = ["status"]
    readonly_fields = ["incident", "status", "due_date", "held_at", "published_at"]
    filter_horizontal = ["attendees"]
    actions = ["hold", "publish"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # A published retrospective is final.
        if obj is not None and obj.status == RetrospectiveStatus.PUBLISHED:
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):

        fields = {
            name: getattr(obj, name) for name in form.changed_data if name in RETROSPECTIVE_FIELDS
        }
        retrospective_update(
            retrospective=Retrospective.objects.get(pk=obj.pk),
            actor=_actor(request),
            attendees=form.cleaned_data.get("attendees"),
            **fields,
        )

    hold = service_action(
        retrospective_hold,
        argument="retrospective",
        done=("retrospective held", "retrospectives held"),
        description="Mark the selected retrospectives as held",
    )
    publish = service_action(
        retrospective_publish,
        argument="retrospective",
        done=("retrospective published", "retrospectives published"),
        description="Publish the selected retrospectives",
    )


@admin.register(RemediationTask)
class RemediationTaskAdmin(IncidentScopedAdmin):
    show_full_result_count = False
    list_display = ["title", "incident", "owner", "due_date", "status", "tracker_key"]
    list_filter = ["status"]
    search_fields = ["title", "incident__key", "tracker_key"]
    fields = ["incident", "title", "description", "owner", "due_date", "status", "tracker_key"]

    def get_readonly_fields(self, request, obj=None):
        return ["incident"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change:
            remediation_update(
                task=RemediationTask.objects.get(pk=obj.pk),
                actor=_actor(request),
                **_changed_fields(form, REMEDIATION_FIELDS),
            )
            return
        created = remediation_create(
            incident=obj.incident,
            actor=_actor(request),
            title=obj.title,
            description=obj.description,
            owner=obj.owner,
            due_date=obj.due_date,
            tracker_key=obj.tracker_key,
            status=obj.status,
        )
        obj.pk = created.pk
        obj._state.adding = False


@admin.register(Drill)
class DrillAdmin(ServiceManyToManyMixin, AuditHistoryAdmin):
    list_display = ["held_on", "scenario", "incident"]
    filter_horizontal = ["participants"]
    search_fields = ["scenario"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "incident":
            kwargs["queryset"] = incidents_visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        participants = form.cleaned_data.get("participants", [])
        fields = {
            name: form.cleaned_data[name]
            for name in ("scenario", "held_on", "findings", "follow_ups", "incident")
        }
        if change:
            drill_update(
                drill=Drill.objects.get(pk=obj.pk),
                actor=_actor(request),
                participants=participants,
                **fields,
            )
            return
        created = drill_record(actor=_actor(request), participants=participants, **fields)
        obj.pk = created.pk
        obj._state.adding = False


@admin.register(Clock)
class ClockAdmin(AuditHistoryAdmin):
    """Every clock, for audits; clocks change only through the lifecycle and the sweep."""

    show_full_result_count = False
    list_display = ["incident", "kind", "state", "due_at", "met_at", "breached_at", "breach_count"]
    list_filter = ["kind"]
    list_select_related = ["incident"]
    search_fields = ["incident__key"]

    @admin.display(description="State")
    def state(self, clock):
        return clock.get_state_display()

    def get_queryset(self, request):
        visible = incidents_visible_to(request.user)
        return super().get_queryset(request).filter(incident__in=visible)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
