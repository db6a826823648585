from rest_framework.pagination import CursorPagination


class SizedCursorPagination(CursorPagination):
    """Cursor pages whose size a client may choose with `page_size`, up to a maximum."""

    page_size_query_param = "page_size"


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
