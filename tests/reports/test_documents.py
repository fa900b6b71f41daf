"""Each report rendered to PDF and read back with pypdf: the figures a reader sees against the register, and the
organization, date and marking on every page. The HTML versions carry accessible charts."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader
from report_builders import TODAY

from punchlist.register import mapping, services
from punchlist.register.models import PoamItem
from punchlist.reports import data, render
from punchlist.web.words import day

OPEN = [s.value for s in mapping.OPEN_STATUSES]


def pdf_pages(key: str, organization) -> list[str]:
    pdf = render.render_pdf(key, data.Snapshot(organization, as_of=TODAY))
    assert pdf.startswith(b"%PDF-")
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def figure(text: str, label: str) -> str:
    """The value printed right after ``label`` in the headline cards ("SPRS score 101 ...")."""
    match = re.search(re.escape(label) + r" ?(-?\d+|none|expired)", text)
    assert match, f"{label!r} not found in: {text[:600]}"
    return match.group(1)


def read_back(key: str, acme) -> str:
    """Render the report, check what every report shows, and return its text for the report's own checks."""
    pages = pdf_pages(key, acme.org)
    assert len(pages) >= 2
    for number, text in enumerate(pages, 1):  # organization, date and marking on every page
        assert "Acme Machining" in text, number
        assert f"as of {day(TODAY)}" in text, number
        assert text.count("Internal tracking document") >= 2, number  # top and bottom margins
        assert f"Page {number} of {len(pages)}" in text
    text = " ".join(pages)
    items = PoamItem.objects.for_organization(acme.org)
    assert figure(text, "SPRS score") == str(mapping.score_assessment(acme.assessment).score)
    assert figure(text, "Open items") == str(items.filter(status__in=OPEN).count())
    assert figure(text, "Overdue") == str(items.filter(status__in=OPEN, scheduled_completion__lt=TODAY).count())
    assert figure(text, "Closeout countdown") == "80"
    assert "Not eligible" in text
    assert "AC.L2-3.1.1" in text  # what blocks Level 2
    assert items.get(pk=acme.items["overdue"].pk).identifier in text
    return text


def test_the_leadership_report(acme):
    text = read_back("leadership", acme)
    assert "Leadership report" in text
    assert "SPRS score over time" in text and "Open items by severity" in text
    assert "Burndown of open items: planned against actual" in text
    severity = re.search(r"Severity Open items critical (\d+) high (\d+) moderate (\d+) low (\d+) unrated (\d+)", text)
    assert severity, text
    items = PoamItem.objects.for_organization(acme.org).filter(status__in=OPEN)
    assert [int(n) for n in severity.groups()] == [items.filter(severity=s).count()
                                                   for s in ("critical", "high", "moderate", "low", "")]
    assert "1 of 2 planned milestones" in text  # the slip rate


def test_the_monthly_review_pack(acme):
    text = read_back("review", acme)
    assert "Monthly management review" in text
    assert re.search(r"New items (\d+)", text).group(1) == "6"
    assert re.search(r"Items closed (\d+)", text).group(1) == "1"
    assert "For decision this month" in text and "Re-plan or resource the 2 overdue item(s)" in text
    assert "Record of the review" in text
    assert "Open items by owner" in text


def test_the_readiness_report(acme):
    text = read_back("readiness", acme)
    assert "Level 2 readiness report" in text
    assert "The 14 families" in text
    access = re.search(r"AC Access Control (\d+) (\d+) (\d+) (\d+) (\d+)", text)
    assert access and access.groups() == ("20", "0", "2", "0", "22")  # 3.1.1 and 3.1.8 on the POA&M
    assert acme.items["ineligible"].identifier in text
    assert "Closed without evidence 0" in text


def test_the_marking_says_assessment_poam_when_flagged(acme):
    services.update_item(acme.team.coordinator, acme.items["ineligible"], kind="operational_plan")
    services.mark_official_poam(acme.team.coordinator, acme.assessment)
    pages = pdf_pages("leadership", acme.org)
    assert all("POA&M for the CMMC assessment" in page for page in pages)
    assert not any("Internal tracking document" in page for page in pages)


def test_html_charts_have_text_alternatives_and_tables(acme):
    html = render.render_html("review", data.Snapshot(acme.org, as_of=TODAY))
    svgs = re.findall(r"<svg xmlns[^>]*role=\"img\"[^>]*>(.*?)</svg>", html, flags=re.S)
    assert len(svgs) == 4  # score, severity, burndown, owners
    for svg in svgs:
        assert re.search(r"<title id=\"[^\"]+\">[^<]+</title>\s*<desc id=\"[^\"]+\">[^<]+</desc>", svg)
    assert html.count('<table class="chart-data">') == 4
    assert "@page" in html and "counter(pages)" in html
    assert "<script" not in html  # charts without a JavaScript library


def test_text_from_the_register_cannot_break_out_of_the_page_style(team):
    team.org.name = 'Evil "Co" </style><script>alert(1)</script>'
    team.org.save()
    html = render.render_html("leadership", data.Snapshot(team.org, as_of=TODAY))
    assert "<script>" not in html
    style = html[html.index("@page"):html.index("</style>", html.index("@page"))]
    assert '"Evil \\22 Co\\22  \\3c /style\\3e \\3c script\\3e alert(1)\\3c /script\\3e "' in style
