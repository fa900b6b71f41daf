"""The item's details beyond the plan (``punchlist.core.records.PoamItem`` says what each is): how the register
stores them, and how they pass between its rows and the core records, so that an import, the item form and
every export carry the same set."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from punchlist.audit import chain

from .errors import InvalidChange

# Model fields, named as the core record names them. The status date is the record's ``last_updated``.
DETAILS = ("assets", "cves", "source_identifier", "comments", "likelihood", "impact", "residual_risk",
           "risk_adjustment", "vendor_dependency", "vendor_product", "vendor_check_in", "vendor_involvement",
           "budget_money", "budget_hours", "decision_needed", "touches_cui")
DATES = frozenset({"status_date", "vendor_check_in"})
AMOUNTS = {"budget_money": (Decimal("0.01"), Decimal("999999999999.99")),
           "budget_hours": (Decimal("0.1"), Decimal("999999999.9"))}
FLAGS = frozenset({"vendor_dependency", "touches_cui"})
SHORT = frozenset({"likelihood", "impact", "residual_risk", "risk_adjustment"})  # 100 characters at most
TEXTS = tuple(name for name in DETAILS if name not in DATES | FLAGS | set(AMOUNTS))
# What the item form and update_item change besides the plan; owners may change them.
EDITABLE = ("status_date", *DETAILS)


def detail_values(record) -> tuple[tuple, str]:
    """The row values (status date first, then DETAILS) of a core record, and their JSON for the audit event."""
    values = [record.last_updated]
    shown = {}
    if record.last_updated is not None:
        shown["status_date"] = record.last_updated
    if record.interim_mitigation.strip():
        shown["interim_mitigation"] = record.interim_mitigation.strip()
    for name in DETAILS:
        value = getattr(record, name)
        if isinstance(value, str):
            value = value.strip()
        elif name in AMOUNTS and value is not None:
            value = value.quantize(AMOUNTS[name][0])
        values.append(value)
        if value not in ("", None):
            shown[name] = value
    return tuple(values), chain.canonical_json(chain.jsonable(shown))


def record_details(values: dict) -> dict:
    """Core record keyword arguments from a stored item's values (a model instance's or a values() row's)."""
    details = {name: values[name] for name in DETAILS}
    details["last_updated"] = values["status_date"]
    return details


def clean_detail(name: str, value):
    """A detail as the register keeps it; InvalidChange naming it when it cannot be one."""
    if name in DATES:
        if value in ("", None):
            return None
        if not isinstance(value, date):
            raise InvalidChange(f"{name.replace('_', ' ')}: {value!r} is not a date")
        return value
    if name in FLAGS:
        if value in ("", None):
            return None
        if not isinstance(value, bool):
            raise InvalidChange(f"{name.replace('_', ' ').replace('cui', 'CUI')}: {value!r} is not yes or no")
        return value
    if name in AMOUNTS:
        if value in ("", None):
            return None
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            raise InvalidChange(f"{name.replace('_', ' ')}: {value!r} is not an amount") from None
        step, most = AMOUNTS[name]
        if not amount.is_finite() or amount < 0 or amount > most:
            raise InvalidChange(f"{name.replace('_', ' ')}: {value!r} is not an amount from 0 to {most}")
        return amount.quantize(step)
    value = (value or "").strip()
    if name in SHORT and len(value) > 100:
        raise InvalidChange(f"{name.replace('_', ' ')}: at most 100 characters, not {len(value)}")
    return value


def last_updated(status_date: date | None, updated_at, version: int) -> date | None:
    """The item's status date as records and exports give it: the one its file gave while the item is as
    imported (version 1), else the later of that and the last change in the register."""
    updated = updated_at.date() if updated_at is not None else None
    if status_date is None or (version > 1 and updated is not None and updated > status_date):
        return updated
    return status_date


def updated_before_in_sql(day: date):
    """``last_updated(...) < day`` as an SQL condition over an item's row, for reads that count over many
    organizations (the portfolio's stale items) without reading every item. Column comparisons only (no date
    taken of ``updated_at`` row by row), with ``line`` the start of ``day`` in UTC, where the model's aware
    datetime takes its day:

    - no status date: the last change is before the line;
    - a status date before ``day``, and either the item is as imported (version 1) or its last change is before
      the line too. (A change after the status date wins only when it is later; if it is not later, it is
      before ``day`` anyway.)
    """
    from datetime import UTC, datetime, time

    from django.db.models import Q

    line = datetime.combine(day, time.min, tzinfo=UTC)
    return (Q(status_date=None, updated_at__lt=line)
            | Q(status_date__lt=day) & (Q(version=1) | Q(updated_at__lt=line)))
