"""A managed-service provider's portfolio: its clients side by side, with the figures, filters and order of the
Portfolio page and its CSV file (all three read ``punchlist.reports.portfolio``), and a new client through
``orgs.services.create_client``. Only under a provider organization; anywhere else 404, as on the web."""

from __future__ import annotations

from datetime import date

from django.http import Http404
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from punchlist.orgs import services
from punchlist.orgs.services import OrganizationError
from punchlist.reports import portfolio as reads

from .auth import organization
from .errors import ApiError, responses

router = Router(tags=["portfolio"])
LIMIT = 100


class ClientRow(Schema):
    """One client as the page and the CSV file show it."""

    name: str
    slug: str
    is_member: bool  # the caller may open the client's own organization (its register, its items)
    score: int | None  # the SPRS score of its latest assessment; null without one, or without a score
    previous_score: int | None  # the last monthly snapshot before this month
    previous_month: date | None
    trend: int | None  # score minus previous_score
    verdict: str  # the Level 2 verdict ("conditional", "final", "not eligible", "no score", "no assessment")
    conditional_date: date | None
    closeout_deadline: date | None
    closeout_days_left: int | None  # negative once expired
    open_items: int
    overdue: int
    stale: int
    due_soon: int  # completions and milestones falling due in the next 14 days
    next_deadline: date | None
    next_deadline_what: str
    last_review: date | None  # the last monthly review held


class PortfolioPage(Schema):
    clients: list[ClientRow]
    total: int  # every client the caller sees
    matched: int  # those the filters keep
    next_cursor: str | None  # pass as ?cursor= for the next page; null on the last


class PortfolioQuery(Schema):
    """The page's filters, by the same names and values as its form (``reports.portfolio.PortfolioFilter``)."""

    verdict: str = Field(default="", max_length=20)
    attention: str = Field(default="", max_length=20)
    q: str = Field(default="", max_length=100)
    sort: str = Field(default="name", max_length=10)
    cursor: str = Field(default="", max_length=20)
    limit: int = Field(default=50, ge=1, le=LIMIT)


CHOICES = {"verdict": reads.VERDICT_CHOICES, "attention": reads.ATTENTION_CHOICES, "sort": reads.SORT_CHOICES}


def _provider(request, slug: str):
    org = organization(request, slug)
    if not org.is_provider:
        raise Http404("This organization runs no clients")
    return org


def _filters(params: PortfolioQuery) -> reads.PortfolioFilter:
    """The page ignores a value it does not know (a hand-edited address); a program is told which."""
    query = params.dict()
    problems = [f"{name} {query[name]!r} is not one of: {', '.join(repr(v) for v, _ in choices if v)}"
                for name, choices in CHOICES.items() if query[name] not in dict(choices)]
    if query["cursor"] and not query["cursor"].isdigit():
        problems.append("cursor is not one this API gave; start again without it")
    if problems:
        raise ApiError(400, "invalid", " ".join(problems), problems=problems)
    return reads.PortfolioFilter.from_query(query)


def client_body(row: reads.ClientRow) -> dict:
    return {"name": row.name, "slug": row.slug, "is_member": row.is_member, "score": row.score,
            "previous_score": row.previous_score, "previous_month": row.previous_month, "trend": row.trend,
            "verdict": row.verdict, "conditional_date": row.conditional_date,
            "closeout_deadline": row.closeout_deadline, "closeout_days_left": row.closeout_days_left,
            "open_items": row.open_items, "overdue": row.overdue, "stale": row.stale, "due_soon": row.due_soon,
            "next_deadline": row.next_deadline, "next_deadline_what": row.next_deadline_what,
            "last_review": row.last_review}


@router.get("/organizations/{slug}/portfolio", response=responses(200, PortfolioPage),
            summary="A provider's clients side by side")
def list_clients(request, slug: str, params: Query[PortfolioQuery]):
    """Every client the caller may see (a provider's administrators all, its staff those they are members of),
    filtered and ordered as the Portfolio page, a page at a time. 404 under an organization that is not a
    managed-service provider."""
    provider = _provider(request, slug)
    filters = _filters(params)
    everyone = reads.portfolio(provider, request.user, as_of=timezone.localdate())
    rows = filters.apply(everyone)
    start = int(params.cursor or 0)
    page = rows[start:start + params.limit]
    end = start + len(page)
    return {"clients": [client_body(row) for row in page], "total": len(everyone), "matched": len(rows),
            "next_cursor": str(end) if end < len(rows) else None}


class ClientIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    slug: str = Field(default="", max_length=60, pattern=r"^[-a-zA-Z0-9_]*$")  # made from the name when empty
    coordinator: str = Field(default="", max_length=150)  # the username of the POA&M coordinator to invite


class ClientOut(Schema):
    slug: str
    name: str
    provider: str
    coordinator_invited: str | None  # the username invited as POA&M coordinator, who joins on accepting


@router.post("/organizations/{slug}/clients", response=responses(201, ClientOut), summary="Add a client")
def create_client(request, slug: str, data: ClientIn):
    """A new client run by this provider, as the New client form makes it: the caller (a provider
    administrator) is its first administrator, and ``coordinator`` is invited as its POA&M coordinator."""
    provider = _provider(request, slug)
    try:
        client, invitation = services.create_client(request.user, provider, name=data.name.strip(),
                                                    slug=data.slug, coordinator=data.coordinator)
    except OrganizationError as exc:
        raise ApiError(400, "invalid", f"Not created: {exc}.") from None
    return Status(201, {"slug": client.slug, "name": client.name, "provider": provider.slug,
                        "coordinator_invited": invitation.username if invitation is not None else None})
