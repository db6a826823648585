"""Admin pages for the outbox, the integration status and the stored external ids."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.urls import path

from incidents.actors import Actor
from incidents.admin.history import AuditHistoryAdmin
from integrations.models import (
    DriveFile,
    ExternalIdentity,
    JiraIssue,
    OutboxMessage,
    OutboxStatus,
    PagerDutyIncident,
    SlackThread,
    SnsSubscription,
)
from integrations.outbox import outbox_retry
from integrations.status import integration_statuses

ERROR_EXCERPT_CHARS = 120


class ReadOnlyAdmin(AuditHistoryAdmin):
    """Rows written by the integrations alone: staff read them, and change them by services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "target",
        "operation",
        "status",
        "attempts",
        "next_attempt_at",
        "incident",
        "error_excerpt",
        "created_at",
    )
    list_filter = ("status", "target", "operation")
    search_fields = ("idempotency_key", "external_id", "incident__key")
    list_select_related = ("incident",)
    # The outbox grows without bound: skip the second COUNT over the whole table.
    show_full_result_count = False
    readonly_fields = [field.name for field in OutboxMessage._meta.fields]
    actions = ["retry_failed"]
    change_list_template = "admin/integrations/outboxmessage/change_list.html"

    @admin.display(description="last error")
    def error_excerpt(self, message: OutboxMessage) -> str:
        return message.last_error[:ERROR_EXCERPT_CHARS]

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    @admin.action(description="Retry the selected failed rows")
    def retry_failed(self, request, queryset):
        actor = Actor.for_user(request.user)
        retried = 0
        for message in queryset.filter(status=OutboxStatus.FAILED):
            try:
                outbox_retry(message=message, actor=actor)
            except ValidationError as error:
                self.message_user(request, f"Row {message.pk}: {error}", messages.WARNING)
                continue
            retried += 1
        skipped = queryset.count() - retried
        self.message_user(request, f"Queued {retried} row(s) again; skipped {skipped} not failed.")

    def get_urls(self):
        status_view = self.admin_site.admin_view(self.status_view)
        extra = [path("status/", status_view, name="integrations_status")]
        return extra + super().get_urls()

    def status_view(self, request):
        context = {
            **self.admin_site.each_context(request),
            "title": "Integration status",
            "statuses": integration_statuses(),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/integrations/status.html", context)


@admin.register(ExternalIdentity)
class ExternalIdentityAdmin(AuditHistoryAdmin):
    list_display = ("user", "system", "external_id")
    list_filter = ("system",)
    search_fields = ("user__username", "external_id")


@admin.register(PagerDutyIncident)
class PagerDutyIncidentAdmin(ReadOnlyAdmin):
    list_display = ("pagerduty_id", "incident", "incident_key", "acknowledged_at")
    search_fields = ("pagerduty_id", "incident__key", "incident_key")


@admin.register(SlackThread)
class SlackThreadAdmin(ReadOnlyAdmin):
    list_display = ("incident", "channel", "ts")
    search_fields = ("incident__key",)


@admin.register(JiraIssue)
class JiraIssueAdmin(ReadOnlyAdmin):
    list_display = ("issue_key", "task", "status_category")
    search_fields = ("issue_key", "task__incident__key")


@admin.register(DriveFile)
class DriveFileAdmin(ReadOnlyAdmin):
    list_display = ("name", "incident", "file_id", "created_at")
    search_fields = ("name", "incident__key", "file_id")


@admin.register(SnsSubscription)
class SnsSubscriptionAdmin(ReadOnlyAdmin):
    """Read-only: rows are written by the CloudWatch receiver and the confirmation task."""

    list_display = ["topic_arn", "status", "confirmed_at", "updated_at"]
    list_filter = ["status"]
    search_fields = ["topic_arn"]
    readonly_fields = [field.name for field in SnsSubscription._meta.fields]
