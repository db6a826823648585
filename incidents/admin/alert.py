from django.contrib import admin

from incidents.admin.base import LargeTableAdmin, ReadOnlyAdminMixin
from incidents.models import Alert
from incidents.selectors import alerts_visible_to


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdminMixin, LargeTableAdmin):
    """Alerts as they were received, for searching. Intake alone writes them."""

    list_display = ("received_at", "source", "signal", "title", "incident")
    list_filter = ("source", "signal")
    search_fields = ("title", "external_id", "dedup_key", "incident__key")
    list_select_related = ("incident",)
    # Every stored column, as received.
    readonly_fields = tuple(field.name for field in Alert._meta.fields if field.name != "id")
    fields = readonly_fields

    def get_queryset(self, request):
        return alerts_visible_to(request.user).select_related("incident")
