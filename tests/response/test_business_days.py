import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured

from incidents.business_days import add_business_days
from incidents.services.retrospectives import retrospective_due_date


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # Thursday: the weekend is skipped.
        (dt.date(2026, 3, 12), 5, dt.date(2026, 3, 19)),
        # Saturday: Monday is the first business day.
        (dt.date(2026, 3, 14), 5, dt.date(2026, 3, 20)),
        # Wednesday before Easter: Good Friday and Easter Monday are skipped.
        (dt.date(2026, 4, 1), 5, dt.date(2026, 4, 10)),
        # Friday before Christmas: 25 December and the Boxing Day substitute (28th) skipped.
        (dt.date(2026, 12, 18), 5, dt.date(2026, 12, 29)),
        (dt.date(2026, 3, 12), 0, dt.date(2026, 3, 12)),
        (dt.date(2026, 3, 16), -1, dt.date(2026, 3, 13)),
    ],
)
def test_add_business_days(start, days, expected):
    assert add_business_days(start, days) == expected


def test_extra_holiday_is_skipped(settings):
    settings.BUSINESS_EXTRA_HOLIDAYS = ["2026-03-17"]

    assert add_business_days(dt.date(2026, 3, 12), 5) == dt.date(2026, 3, 20)


def test_other_country_calendar(settings):
    # 17 March is St Patrick's Day, a public holiday in Ireland but not in England.
    settings.BUSINESS_HOLIDAYS_COUNTRY = "IE"
    settings.BUSINESS_HOLIDAYS_SUBDIVISION = ""

    assert add_business_days(dt.date(2026, 3, 12), 5) == dt.date(2026, 3, 20)


def test_invalid_extra_holiday_rejected(settings):
    settings.BUSINESS_EXTRA_HOLIDAYS = ["17/03/2026"]

    with pytest.raises(ImproperlyConfigured, match="'17/03/2026'"):
        add_business_days(dt.date(2026, 3, 12), 5)


def test_retrospective_due_uses_local_date(settings):
    settings.TIME_ZONE = "Europe/London"
    # 23:30 UTC on Thursday 16 July is already Friday in London (BST).
    resolved = dt.datetime(2026, 7, 16, 23, 30, tzinfo=dt.UTC)

    assert retrospective_due_date(resolved) == dt.date(2026, 7, 24)
