from rest_framework.pagination import CursorPagination


class IncidentCursorPagination(CursorPagination):
    """Cursor pages: no COUNT over the whole table, stable while rows are added."""

    ordering = ("-detected_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class ChronologicalCursorPagination(CursorPagination):
    ordering = ("occurred_at", "id")
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500
