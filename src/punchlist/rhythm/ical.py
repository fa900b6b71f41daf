"""A person's milestones and due dates as an iCalendar feed (RFC 5545), written here: all-day events, text
escaped and lines folded at 75 octets, a stable UID per event so calendar clients update rather than
duplicate."""

from __future__ import annotations

from datetime import UTC, date, timedelta

from django.utils import timezone

from punchlist.core.closeout import closeout_deadline
from punchlist.register.models import Kind, Milestone

from .queries import owned_items


def escape(text: str) -> str:
    return (str(text).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space, never inside a character."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    parts, current, size = [], "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > (75 if not parts else 74):
            parts.append(current)
            current, size = "", 0
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def event(uid: str, day: date, summary: str, description: str, stamp: str, url: str = "") -> list[str]:
    lines = ["BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{stamp}", f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
             f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}", f"SUMMARY:{escape(summary)}",
             f"DESCRIPTION:{escape(description)}", "TRANSP:TRANSPARENT"]
    if url:
        lines.append(f"URL:{url}")
    return lines + ["END:VEVENT"]


def feed_text(feed, item_url=None) -> str:
    """The feed of ``feed``'s person: the due dates of the open items they own, their open milestones and,
    for assessment POA&M items, the closeout deadline. ``item_url(identifier)`` gives each item's address."""
    organization, user = feed.organization, feed.user
    items = list(owned_items(user, organization).select_related("assessment").order_by("identifier"))
    milestones = (Milestone.objects.for_organization(organization)
                  .filter(item__in=[i.pk for i in items], done_on=None).exclude(due=None)
                  .select_related("item").order_by("due", "pk"))
    stamp = timezone.now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    host = "punchlist"
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Punchlist//POA&M calendar//EN", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{escape(f'Punchlist: {organization.name}')}",
             "X-PUBLISHED-TTL:PT1H"]
    for item in items:
        url = item_url(item.identifier) if item_url else ""
        if item.scheduled_completion:
            lines += event(f"item-{item.pk}-due@{host}", item.scheduled_completion,
                           f"Due: {item.identifier} {item.title}",
                           f"Scheduled completion of {item.identifier} ({item.get_status_display()}).\n"
                           f"{item.remediation}".strip(), stamp, url)
    for milestone in milestones:
        item = milestone.item
        url = item_url(item.identifier) if item_url else ""
        lines += event(f"milestone-{milestone.pk}@{host}", milestone.due,
                       f"Milestone: {item.identifier} {milestone.description}",
                       f"{milestone.description}\nItem {item.identifier}: {item.title}", stamp, url)
    deadlines = _closeout_deadlines(organization, items)
    for conditional, (assessment, identifiers) in sorted(deadlines.items()):
        lines += event(f"closeout-{organization.pk}-{conditional:%Y%m%d}@{host}", closeout_deadline(conditional),
                       f"POA&M closeout deadline ({organization.name})",
                       f"180 days after the Conditional status date {conditional.isoformat()} of {assessment}: "
                       f"the last day to close out {', '.join(identifiers)} (R-CLOSE-1).", stamp)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def _closeout_deadlines(organization, items) -> dict:
    from .agenda import closeout_assessment

    governing = closeout_assessment(organization)
    found: dict = {}
    for item in items:
        if item.kind != Kind.ASSESSMENT_POAM:
            continue
        assessment = item.assessment if item.assessment_id and item.assessment.conditional_status_date else None
        if assessment is None and governing is not None and governing.is_the_assessment_poam:
            assessment = governing
        if assessment is not None:
            found.setdefault(assessment.conditional_status_date, (assessment, []))[1].append(item.identifier)
    return found


__all__ = ["feed_text", "fold", "escape"]
