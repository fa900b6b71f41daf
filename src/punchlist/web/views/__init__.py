"""One module per screen; each declares its URL patterns next to its views (see web/urls.py)."""

from . import assessments, home, items, people, register, work

SCREENS = [home, work, register, items, assessments, people]
