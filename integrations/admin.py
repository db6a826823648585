from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from integrations.models import SnsSubscription


@admin.register(SnsSubscription)
class SnsSubscriptionAdmin(SimpleHistoryAdmin):
    """Read-only: rows are written by the CloudWatch receiver and the confirmation task."""

    list_display = ["topic_arn", "status", "confirmed_at", "updated_at"]
    list_filter = ["status"]
    search_fields = ["topic_arn"]
    readonly_fields = [field.name for field in SnsSubscription._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
