from django.contrib import admin

from incidents.admin.history import AuditHistoryAdmin
from incidents.models import Service


@admin.register(Service)
class ServiceAdmin(AuditHistoryAdmin):
    list_display = ("name", "slug", "active")
    list_filter = ("active",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deleting would drop the service from past incidents without a history row:
        # clear `active` instead.
        return False
