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
