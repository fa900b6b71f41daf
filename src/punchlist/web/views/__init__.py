"""One module per screen; each declares its URL patterns next to its views (see web/urls.py)."""

from . import (
    assessments,
    evidence,
    exports,
    home,
    imports,
    item_ranking,
    items,
    outcomes,
    people,
    portfolio,
    register,
    remediation,
    reports,
    reviews,
    rules,
    scan_findings,
    tokens,
    work,
)

SCREENS = [home, work, register, items, item_ranking, imports, assessments, outcomes, people, reports, evidence,
           reviews, rules, exports, portfolio, remediation, scan_findings, tokens]
