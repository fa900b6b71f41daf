"""The reports as documents: one HTML file (styles inlined, charts as inline SVG) and its PDF (WeasyPrint).

Every page of the PDF carries the organization, the date and the marking in its margins (CSS @page boxes);
the HTML shows them at the top and bottom. The same section templates render the web views.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from django.template.loader import render_to_string

from punchlist.web.words import day

from . import charts, data, sections


@dataclass(frozen=True, slots=True)
class Kind:
    key: str
    title: str
    section: str
    filename: str


KINDS = {kind.key: kind for kind in (
    Kind("leadership", "Leadership report", "reports/sections/leadership.html", "leadership-report"),
    Kind("review", "Monthly management review", "reports/sections/review.html", "management-review"),
    Kind("readiness", "Level 2 readiness report", "reports/sections/readiness.html", "readiness-report"),
    # The views' own sections; not documents of their own, but they render the same way.
    Kind("security", "Security report", "reports/sections/security.html", "security-report"),
    Kind("operations", "Operations report", "reports/sections/operations.html", "operations-report"),
)}
DOCUMENTS = ("leadership", "review", "readiness")


@cache
def stylesheet() -> str:
    return resources.files(__package__).joinpath("static", "reports", "reports.css").read_text("utf-8")


def section_data(key: str, snap: data.Snapshot, limit: int = data.LIST_LIMIT):
    """The figures of one view or report, and its charts."""
    builders = {"leadership": sections.leadership, "security": sections.security,
                "operations": sections.operations, "review": sections.review, "readiness": sections.readiness}
    figures = builders[key](snap, limit)
    return figures, charts_for(key, figures, snap)


def charts_for(key: str, figures, snap: data.Snapshot) -> dict:
    made = {}
    lead = {"leadership": figures, "review": getattr(figures, "leadership", None),
            "readiness": getattr(figures, "leadership", None)}.get(key)
    if lead is not None:
        made["score"] = charts.score_chart(lead.history, snap.as_of)
        made["severity"] = charts.severity_chart(lead.severity)
        made["burndown"] = charts.burndown_chart(lead.burndown, snap.as_of)
    sec = {"security": figures, "readiness": getattr(figures, "security", None)}.get(key)
    if sec is not None:
        made["families"] = charts.family_chart(sec.families)
    ops = {"operations": figures, "review": getattr(figures, "operations", None)}.get(key)
    if ops is not None:
        made["owners"] = charts.owner_chart(ops.workload)
    return made


def render_html(key: str, snap: data.Snapshot) -> str:
    """The report as one self-contained HTML document."""
    kind = KINDS[key]
    figures, made = section_data(key, snap)
    as_of = day(snap.as_of)
    return render_to_string("reports/document.html", {
        "kind": key, "title": kind.title, "section": kind.section, "data": figures, "charts": made,
        "organization": snap.organization, "marking": snap.marking, "as_of": snap.as_of,
        "generated_at": snap.generated_at, "as_of_text": f"as of {as_of}",
        "footer": f"{kind.title}, {snap.organization.name}, {as_of}", "css": stylesheet(), "web": False,
    })


def render_pdf(key: str, snap: data.Snapshot) -> bytes:
    from weasyprint import HTML

    return HTML(string=render_html(key, snap), base_url=None).write_pdf()


def filename(key: str, snap: data.Snapshot, extension: str) -> str:
    return f"{snap.organization.slug}-{KINDS[key].filename}-{snap.as_of.isoformat()}.{extension}"
