"""Inlines of the incident change page."""

from django.contrib import admin

from incidents.admin.base import ReadOnlyAdminMixin
from incidents.models import Action, Alert, TimelineEntry


class TimelineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = TimelineEntry
    fields = ("occurred_at", "kind", "actor_label", "text")
    readonly_fields = fields
    extra = 0
    verbose_name_plural = "Timeline"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor_user")

    @admin.display(description="Actor")
    def actor_label(self, entry: TimelineEntry) -> str:
        return entry.actor_label


class AlertInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Alert
    fields = ("received_at", "source", "signal", "title", "external_id")
    readonly_fields = fields
    extra = 0
    show_change_link = True


class ActionInline(admin.TabularInline):
    """Actions, edited in place. IncidentAdmin.save_formset saves them through the services."""

    model = Action
    fields = ("title", "kind", "owner", "status", "due_at", "done_at")
    readonly_fields = ("done_at",)
    autocomplete_fields = ("owner",)
    extra = 0
    # Cancel an action with its status: no service deletes one.
    can_delete = False
