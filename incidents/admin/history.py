"""History pages that list every changed field with readable values and the actor."""

from dataclasses import asdict
from itertools import pairwise

from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin

from incidents.history_changes import (
    EMPTY,
    history_actor_label,
    load_history_lookups,
    record_changes,
)


class AuditHistoryAdmin(SimpleHistoryAdmin):
    """The history view of django-simple-history, with the audit report's change list.

    The library's own diff skips fields declared editable=False, such as an incident's
    status and lifecycle times, so its "Changes" column stayed empty for transitions.
    """

    object_history_list_template = "admin/audit_history_list.html"
    # (field name, column heading) pairs shown for each version, before the fixed columns.
    history_columns: tuple[tuple[str, str], ...] = ()

    def revert_disabled(self, request, obj=None) -> bool:
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # The library saves a posted old version through the change form even when
        # reverting is disabled, which would skip the services' checks and timeline.
        if request.method == "POST":
            raise PermissionDenied("Old versions can be viewed, not restored.")
        return super().history_form_view(request, object_id, version_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        context = {"history_columns": [label for _, label in self.history_columns]}
        context.update(extra_context or {})
        return super().history_view(request, object_id, context)

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        # Records come newest first; each is compared with the version before it.
        records = list(historical_records)
        lookups = load_history_lookups(records)
        for newer, older in pairwise(records):
            changes = record_changes(newer, older, lookups)
            newer.history_delta_changes = [asdict(change) for change in changes]
        for record in records:
            record.history_actor = history_actor_label(record)
            record.history_cells = [_display(record, name) for name, _ in self.history_columns]


def _display(record, name: str) -> str:
    display = getattr(record, f"get_{name}_display", None)
    value = display() if display else getattr(record, name, "")
    return str(value) if value not in (None, "") else EMPTY
