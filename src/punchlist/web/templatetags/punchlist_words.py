"""Plain words in templates: ``{{ finding.message|plainly }}``, ``{{ finding.check|check_name }}``."""

from django import template
from django.utils.safestring import mark_safe

from punchlist.web import words

register = template.Library()


@register.filter
def plainly(text) -> str:
    return mark_safe(words.plainly_html(str(text or "")))


@register.filter
def check_name(code) -> str:
    return words.check_name(str(code or ""))


@register.filter
def written(value) -> str:
    """A date (or an ISO date kept as text, as a review's agenda keeps them) as a person writes it."""
    from datetime import date

    if isinstance(value, str) and len(value) == 10:
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    return words.day(value)


@register.filter
def written_month(value) -> str:
    """A month (a date, or the ISO text an agenda keeps) as a person writes it: October 2026."""
    return words.month(value)


@register.filter
def dates_written(text) -> str:
    """A sentence with its ISO dates (an assessment's name, a service's message) as a person writes them."""
    return words.dates_written(str(text or ""))
