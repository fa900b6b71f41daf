"""One module per screen; each declares its URL patterns next to its views (see web/urls.py)."""

from . import assessments, evidence, home, items, people, register, reports, reviews, work

SCREENS = [home, work, register, items, assessments, people, reports, evidence, reviews]
