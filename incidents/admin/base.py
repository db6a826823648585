"""Building blocks shared by the admin classes of large, append-mostly tables."""

from django.contrib import admin
from django.contrib.admin import ShowFacets
from django.core.paginator import Paginator
from django.utils.functional import cached_property


class CappedCountPaginator(Paginator):
    """A paginator that counts at most `count_limit + 1` rows.

    Django's changelist counts its filtered queryset on every page, which on an
    unfiltered page is a COUNT over the whole table. Counting a LIMITed subquery keeps
    that cost bounded.
    """

    # NOTE: pages past the limit cannot be reached by number: filter or search to
    # narrow the list instead.
    count_limit = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list[: self.count_limit + 1].count()

    @property
    def is_capped(self) -> bool:
        return self.count > self.count_limit


class LargeTableAdmin(admin.ModelAdmin):
    """A changelist that never counts the whole table."""

    paginator = CappedCountPaginator
    show_full_result_count = False
    # Facets run one COUNT per filter choice.
    show_facets = ShowFacets.NEVER


class ReadOnlyAdminMixin:
    """Rows that the admin shows but never adds, edits or deletes."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
