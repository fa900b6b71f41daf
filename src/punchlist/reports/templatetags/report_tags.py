"""Filters the report templates need: SVG coordinates, signed changes, and CSS strings for @page boxes."""

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def n(value) -> str:
    """A coordinate with one decimal and a dot, whatever the locale."""
    return f"{float(value):.1f}"


@register.filter
def signed(value) -> str:
    """+3, -2, 0; an em dash where there is nothing to compare."""
    if value is None or value == "":
        return "—"
    return f"{int(value):+d}" if value else "0"


@register.filter
def percent(value) -> str:
    return "n/a" if value is None else f"{value:.0%}"


@register.filter
def css_string(value) -> str:
    """A CSS string literal holding ``value`` as text (for @page margin boxes), safe inside <style>:
    quotes, backslashes, line breaks and angle brackets are written as CSS escapes."""
    out = []
    for char in str(value):
        if char in '"\\<>&' or ord(char) < 32 or ord(char) == 127:
            out.append(f"\\{ord(char):x} ")
        else:
            out.append(char)
    return mark_safe('"' + "".join(out) + '"')


@register.filter
def get(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None
