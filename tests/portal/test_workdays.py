"""The working calendar. December 2026: Wednesday 2 is UAE National Day (a Holiday row here),
Thursday 3 is the last working day of its week, Friday 4 to Sunday 6 are the weekend."""

import datetime

import pytest

from portal.models import Holiday
from portal.workdays import add_working_days, is_working_day, working_days_between

TUE_1 = datetime.date(2026, 12, 1)
WED_2_NATIONAL_DAY = datetime.date(2026, 12, 2)
THU_3 = datetime.date(2026, 12, 3)
FRI_4 = datetime.date(2026, 12, 4)
SAT_5 = datetime.date(2026, 12, 5)
MON_7 = datetime.date(2026, 12, 7)
TUE_8 = datetime.date(2026, 12, 8)


@pytest.fixture
def calendar(db, settings):
    settings.WORKING_WEEKDAYS = [0, 1, 2, 3]  # Monday to Thursday
    Holiday.objects.create(date=WED_2_NATIONAL_DAY, name_ar="اليوم الوطني", name_en="National Day")


def test_dates_are_what_the_tests_say():
    assert THU_3.weekday() == 3
    assert WED_2_NATIONAL_DAY.weekday() == 2


def test_is_working_day(calendar):
    assert is_working_day(TUE_1)
    assert is_working_day(THU_3)
    assert not is_working_day(WED_2_NATIONAL_DAY)
    assert not is_working_day(FRI_4)
    assert not is_working_day(SAT_5)


def test_add_skips_the_weekend(calendar):
    assert add_working_days(THU_3, 1) == MON_7
    assert add_working_days(THU_3, 2) == TUE_8


def test_add_skips_a_holiday(calendar):
    assert add_working_days(TUE_1, 1) == THU_3
    assert add_working_days(TUE_1, 2) == MON_7


def test_add_zero_gives_the_day_itself_or_the_next_working_day(calendar):
    assert add_working_days(THU_3, 0) == THU_3
    assert add_working_days(SAT_5, 0) == MON_7
    assert add_working_days(WED_2_NATIONAL_DAY, 0) == THU_3


def test_add_refuses_a_negative_count(calendar):
    with pytest.raises(ValueError):
        add_working_days(THU_3, -1)


def test_between_counts_across_a_weekend_and_a_holiday(calendar):
    # Wed 2 (holiday), Thu 3, Fri–Sun (weekend), Mon 7: two working days.
    assert working_days_between(TUE_1, MON_7) == 2
    assert working_days_between(THU_3, MON_7) == 1
    assert working_days_between(THU_3, THU_3) == 0
    assert working_days_between(FRI_4, SAT_5) == 0


def test_between_is_negative_when_reversed(calendar):
    assert working_days_between(MON_7, TUE_1) == -2


def test_holidays_are_data(calendar):
    Holiday.objects.filter(date=WED_2_NATIONAL_DAY).delete()
    assert working_days_between(TUE_1, MON_7) == 3
    assert add_working_days(TUE_1, 1) == WED_2_NATIONAL_DAY


def test_weekdays_come_from_settings(calendar, settings):
    settings.WORKING_WEEKDAYS = [0, 1, 2, 3, 4]  # Monday to Friday
    assert is_working_day(FRI_4)
    assert add_working_days(THU_3, 1) == FRI_4
    assert working_days_between(TUE_1, MON_7) == 3
    assert add_working_days(SAT_5, 0) == MON_7
