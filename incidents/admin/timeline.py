from django.contrib import admin

from incidents.admin.base import LargeTableAdmin, ReadOnlyAdminMixin
from incidents.models import TimelineEntry
from incidents.selectors import incidents_visible_to


@admin.register(TimelineEntry)
class TimelineEntryAdmin(ReadOnlyAdminMixin, LargeTableAdmin):
    """Timeline entries across incidents, for searching. Entries are append-only."""

    list_display = ("occurred_at", "incident", "kind", "actor", "text")
    list_filter = ("kind",)
    search_fields = ("incident__key", "text")
    list_select_related = ("incident", "actor_user")
    fields = ("incident", "occurred_at", "kind", "actor", "text", "data")
    readonly_fields = fields

    def get_queryset(self, request):
        visible = incidents_visible_to(request.user)
        return super().get_queryset(request).filter(incident__in=visible)

    @admin.display(description="Actor")
    def actor(self, entry: TimelineEntry) -> str:
        return entry.actor_label
