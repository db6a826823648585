from datetime import UTC

from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination


class SizedCursorPagination(CursorPagination):
    """Cursor pages whose size a client may choose with `page_size`, up to a maximum."""

    page_size_query_param = "page_size"

    def decode_cursor(self, request):
        """Decode the cursor, rejecting a position that is not a storable datetime.

        Every ordering here starts with a datetime field, and the position is compared
        with it in SQL: an unparsable one raised a field error, and one whose UTC form
        falls outside years 1-9999 raised OverflowError on SQLite.
        """
        cursor = super().decode_cursor(request)
        if cursor is None or cursor.position is None:
            return cursor
        try:
            position = parse_datetime(cursor.position)
            if position is None:
                raise ValueError(cursor.position)
            if position.tzinfo is not None:
                position.astimezone(UTC)
        except (ValueError, OverflowError):
            raise NotFound(self.invalid_cursor_message) from None
        return cursor


class IncidentCursorPagination(SizedCursorPagination):
    """Cursor pages: no COUNT over the whole table, stable while rows are added."""

    ordering = ("-detected_at", "-id")
    page_size = 50
    max_page_size = 200


class ChronologicalCursorPagination(SizedCursorPagination):
    ordering = ("occurred_at", "id")
    page_size = 100
    max_page_size = 500


class AlertCursorPagination(SizedCursorPagination):
    ordering = ("-received_at", "-id")
    page_size = 50
    max_page_size = 200


class ActionCursorPagination(SizedCursorPagination):
    ordering = ("created_at", "id")
    page_size = 100
    max_page_size = 500
