"""The calendar units of the rhythm: ISO weeks start on Monday, months and quarters on their first day.

Each review is filed under the first day of its period, so "this week's update" or "the Q3 validation" is
one value to compare and to put in a unique key.
"""

from __future__ import annotations

from datetime import date, timedelta


def week_of(day: date) -> date:
    """The Monday of ``day``'s ISO week."""
    return day - timedelta(days=day.weekday())


def month_of(day: date) -> date:
    return day.replace(day=1)


def previous_month(month: date) -> date:
    return (month_of(month) - timedelta(days=1)).replace(day=1)


def quarter_of(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def quarter_label(quarter: date) -> str:
    return f"{quarter.year} Q{(quarter.month - 1) // 3 + 1}"

