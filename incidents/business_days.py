"""Business-day arithmetic: weekends and the configured public holidays are skipped.

The holiday calendar is the `holidays` package's for BUSINESS_HOLIDAYS_COUNTRY and
BUSINESS_HOLIDAYS_SUBDIVISION, plus the ISO dates in BUSINESS_EXTRA_HOLIDAYS.
"""

from datetime import date, datetime, time, timedelta

import holidays
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone


def _extra_holidays() -> set[date]:
    extra = set()
    for value in settings.BUSINESS_EXTRA_HOLIDAYS:
        try:
            extra.add(date.fromisoformat(value))
        except ValueError:
            raise ImproperlyConfigured(
                f"BUSINESS_EXTRA_HOLIDAYS contains {value!r}, which is not a YYYY-MM-DD date."
            ) from None
    return extra


def _public_holidays(years: range) -> holidays.HolidayBase:
    try:
        return holidays.country_holidays(
            settings.BUSINESS_HOLIDAYS_COUNTRY,
            subdiv=settings.BUSINESS_HOLIDAYS_SUBDIVISION or None,
            years=years,
        )
    except NotImplementedError as error:
        raise ImproperlyConfigured(
            f"No holiday calendar for BUSINESS_HOLIDAYS_COUNTRY="
            f"{settings.BUSINESS_HOLIDAYS_COUNTRY!r}: {error}"
        ) from None


class BusinessCalendar:
    """The days off for the years around one date, looked up once per calculation."""

    def __init__(self, around: date) -> None:
        self._days_off = set(_public_holidays(range(around.year - 1, around.year + 2)))
        self._days_off |= _extra_holidays()

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self._days_off

    def shift(self, start: date, days: int) -> date:
        """Return the business day `days` business days after `start`, or before if negative.

        `start` itself is not counted, so shifting by 0 returns `start` unchanged.
        """
        step = timedelta(days=1 if days >= 0 else -1)
        remaining = abs(days)
        day = start
        while remaining:
            day += step
            if self.is_business_day(day):
                remaining -= 1
        return day


def add_business_days(start: date, days: int) -> date:
    return BusinessCalendar(start).shift(start, days)


def start_of_day(day: date) -> datetime:
    """Midnight at the start of `day` in the project's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))
