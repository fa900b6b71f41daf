"""My work: what one person has to do in an organization, soonest first.

Their open items by due date, their milestones due this week, what is overdue, and the closures waiting for
their approval. Each list is cut at a page (with its full count and a link to the rest in the register), so the
page costs the same few queries whatever the size of the register.
"""

from __future__ import annotations

from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET

from punchlist.web import queries
from punchlist.web.tenancy import member_view


@member_view
@require_GET
def my_work(request):
    today = timezone.localdate()
    work = queries.my_work(request.organization, request.user, today=today)
    me = request.user.pk
    return render(request, "web/work.html", {
        "work": work, "today": today, "due_soon_days": queries.DUE_SOON_DAYS,
        # The register's filters that list the rest of a cut list.
        "mine_open": f"owner={me}&status=active&sort=due", "mine_overdue": f"owner={me}&due=overdue&sort=due",
        "mine_to_approve": f"approver={me}&status=ready_for_verification&sort=due",
    })


organization_patterns = [
    path("work/", my_work, name="my_work"),
]
