"""Plain words on every screen: a finding's sentence without rule ids (they move to a "why" link whose
tooltip says the rule), its advice labelled as advice, the checks by name rather than by code, and dates as a
person writes them."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from html import escape

from django.urls import reverse
from django.utils import timezone

from punchlist.core.rules import plain

# The checks' codes (a public interface of the CLI and the JSON output) as the screens name them.
CHECK_NAMES = {
    "unknown-requirement": "Unknown requirement",
    "not-poam-eligible": "Not allowed on a POA&M",
    "vague-remediation": "Vague remediation",
    "generic-owner": "No named owner",
    "owner-concentration": "One owner for most items",
    "uniform-dates": "Same date everywhere",
    "missing-milestones": "No milestones",
    "blended-item": "Several problems in one item",
    "closed-without-evidence": "Closed without evidence",
    "dates-out-of-order": "Dates out of order",
    "overdue": "Overdue",
    "missing-field": "Missing field",
    "duplicate-id": "Duplicate id",
    "risk-accepted": "Risk accepted",
    "overdue-milestone": "Overdue milestone",
    "stale-item": "Not updated for 30 days",
}
ADVICE = "Good: "
ADVICE_LABEL = "What good looks like: "


def check_name(code: str) -> str:
    return CHECK_NAMES.get(code, code.replace("-", " ").capitalize())


@lru_cache(maxsize=1)
def rules_url() -> str:
    return reverse("web:rules")


@lru_cache(maxsize=4096)
def plainly_html(text: str) -> str:
    """The sentence, escaped, with its rule ids moved to one "why" link (the rules in its tooltip) and its
    advice labelled in words."""
    said, rules = plain(text)
    html = escape(dates_written(said)).replace(escape(ADVICE), f'<span class="advice">{escape(ADVICE_LABEL)}</span>')
    if rules:
        tip = " ".join(f"{rule.says} ({rule.source}, {rule.id})" for rule in rules)
        html += (f' <a class="why" href="{rules_url()}#{rules[0].id}" title="{escape(tip)}" '
                 f'aria-label="Why: {escape(tip)}">why?</a>')
    return html


def day(value) -> str:
    """A date as a person writes it: 11 Dec 2026."""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return f"{value.day} {value:%b %Y}"
    if isinstance(value, date):
        return f"{value.day} {value:%b %Y}"
    return "" if value is None else str(value)


def month(value) -> str:
    """A month as a person writes it: October 2026 (from a date, or the ISO text an agenda keeps)."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value if len(value) == 10 else f"{value[:7]}-01")
        except ValueError:
            return value
    return "" if value is None else f"{value:%B %Y}"


ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def _written(match: re.Match) -> str:
    try:
        return day(date(int(match[1]), int(match[2]), int(match[3])))
    except ValueError:
        return match[0]


def dates_written(text: str) -> str:
    """``text`` with the ISO dates in it (a check's or a service's sentence, shared with the CLI and the JSON
    output, says 2026-11-26) as a person writes them: 26 Nov 2026."""
    return ISO_DATE.sub(_written, text)


def not_saved(error) -> str:
    """A service's refusal as a screen says it: "Not saved: " and its words, dates as a person writes them."""
    return f"Not saved: {dates_written(str(error))}"


def moment(value) -> str:
    """A date and time as a person writes it, to the minute: 11 Dec 2026, 09:05."""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return f"{value.day} {value:%b %Y, %H:%M}"
    return day(value)
