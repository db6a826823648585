from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from incidents.models import Service


@admin.register(Service)
class ServiceAdmin(SimpleHistoryAdmin):
    list_display = ("name", "slug", "active")
    list_filter = ("active",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deleting would drop the service from past incidents without a history row:
        # clear `active` instead.
        return False
