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
    register,
    reports,
    reviews,
    rules,
    work,
)

SCREENS = [home, work, register, items, item_ranking, imports, assessments, outcomes, people, reports, evidence, reviews, rules,
           exports]
