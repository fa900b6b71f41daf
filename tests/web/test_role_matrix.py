"""Every view against every role (NetBox's permission test mixins, done as one table).

The table below says, for each URL name of the web app, which roles may read it (GET answers 200) and which
may act on it (POST is not refused with 403/404). Every URL the app serves under an organization must be in
the table, so a new view cannot ship without deciding who may use it. Two rules hold for every URL whatever
the table says: a member of another organization gets 404, and a viewer changes nothing.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import get_resolver
from django.urls.resolvers import URLResolver

from punchlist.audit.models import AuditEvent
from punchlist.interchange import ColumnMapping
from punchlist.orgs.models import Membership, Role
from punchlist.orgs.services import invite_member, make_provider
from punchlist.register.services import milestones as milestone_services
from punchlist.register.services.assessments import create_assessment
from punchlist.register.services.evidence import add_evidence
from punchlist.register.services.profiles import save_profile
from punchlist.rhythm.services.monthly import record_review
from punchlist.testing.report_jobs import run_report_jobs
from punchlist.web import report_jobs, staging
from punchlist.web.models import ImportJob

ROLES = [Role.ADMIN, Role.COORDINATOR, Role.OWNER, Role.APPROVER, Role.VIEWER]
EVERYONE = frozenset(ROLES)
MANAGERS = frozenset({Role.ADMIN, Role.COORDINATOR})
ADMINS = frozenset({Role.ADMIN})
NOBODY = frozenset()


def organization_routes():
    """(route, url name) of every view mounted under /o/<slug>/."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern), pattern.name

    return [(route, name) for route, name in walk(get_resolver().url_patterns) if route.startswith("o/<slug:org>/")]


@pytest.fixture
def world(team, rival, item, evidence_root):
    """One organization (a managed-service provider) with something behind every URL: an item with a
    milestone and evidence, an assessment, a recorded monthly review, an upload waiting to be imported and a
    mapping profile; and a member of another organization."""
    milestone = milestone_services.add_milestone(team.coordinator, item, "Push the lockout GPO", date(2026, 12, 1))
    piece = add_evidence(team.owner, item, name="gpo.txt", content=b"lockout after 5 failures\n")
    assessment = create_assessment(team.coordinator, team.org, assessed_on=date(2026, 10, 1))
    review = record_review(team.admin, team.org, held_on=date(2026, 11, 2), decisions="Keep the dates.",
                           attendees=[team.admin, team.coordinator])
    owner_membership = Membership.objects.get(organization=team.org, user=team.owner2)
    make_provider(team.admin, team.org)  # a managed-service provider, so that its portfolio is there to read
    # An upload waiting in the import preview: each manager's own, under the same address.
    token = "role-matrix-upload-0001"
    for manager in (team.admin, team.coordinator):
        staging.keep(team.org, manager, SimpleUploadedFile("poam.csv", b"POAM ID,Control,Weakness\nV-1,3.1.1,Shared\n"),
                     token=token)
    profile = save_profile(team.coordinator, team.org, "Our layout", ColumnMapping({"requirements": "Control"}))
    invitation = invite_member(team.admin, team.org, rival.viewer.username, "viewer")
    values = {"org": team.org.slug, "identifier": item.identifier, "move": "start", "requirement": "3.1.1",
              "kind": "leadership", "fmt": "html", "token": token}
    built = report_jobs.start(team.viewer, team.org, "leadership", "html")  # a report the worker built
    run_report_jobs()
    pks = {"item_milestone_done": milestone.pk, "item_milestone_slip": milestone.pk, "item_milestone_undo": milestone.pk,
           "item_milestone_drop": milestone.pk, "assessment_outcome": assessment.pk,
           "assessment_official": assessment.pk, "assessment_objectives": assessment.pk,
           "item_evidence_file": piece.pk, "assessment_detail": assessment.pk, "assessment_status": assessment.pk,
           "people_role": owner_membership.pk, "people_remove": owner_membership.pk,
           "people_password": owner_membership.pk, "evidence": piece.pk, "evidence_download": piece.pk,
           "evidence_edit": piece.pk, "evidence_links": piece.pk, "evidence_delete": piece.pk,
           "review_monthly_detail": review.pk, "import_profile_delete": profile.pk,
           "people_invitation_withdraw": invitation.pk,
           "report_job": built.pk, "report_job_download": built.pk,
           "import_job": ImportJob.objects.create(organization=team.org, user=team.coordinator, token=token,
                                                  file_name="poam.csv").pk}
    return {"team": team, "rival": rival, "values": values, "pks": pks}


def url_for(world, route, name):
    values = dict(world["values"], pk=world["pks"].get(name, 0))
    path = route
    for key, value in values.items():
        for converter in ("slug", "str", "int"):
            path = path.replace(f"<{converter}:{key}>", str(value))
    assert "<" not in path, f"{name}: no test value for a part of {route}"
    return "/" + path


def user_of(team, role):
    return {Role.ADMIN: team.admin, Role.COORDINATOR: team.coordinator, Role.OWNER: team.owner,
            Role.APPROVER: team.approver, Role.VIEWER: team.viewer}[role]


# name: (roles that read it with GET, roles that may act on it with POST). None for GET: POST only (405).
# "organization" redirects to My work for every member. Acting roles are those whose POST is not refused
# with 403 by role alone (the item's owner acts on their own item; the team's owner is this item's owner).
WORKERS_ON_ITEM = frozenset({Role.ADMIN, Role.COORDINATOR, Role.OWNER})
TABLE = {
    "organization": (EVERYONE, NOBODY),
    "my_work": (EVERYONE, NOBODY),
    "register": (EVERYONE, NOBODY),
    "register_export": (EVERYONE, NOBODY),
    "item_new": (MANAGERS, MANAGERS),
    "item": (EVERYONE, NOBODY),
    "item_edit": (WORKERS_ON_ITEM, WORKERS_ON_ITEM),
    "item_due": (None, WORKERS_ON_ITEM),
    "item_blockers": (None, WORKERS_ON_ITEM),
    "item_move": (None, WORKERS_ON_ITEM),
    "item_milestone_add": (None, WORKERS_ON_ITEM),
    "item_milestone_done": (None, WORKERS_ON_ITEM),
    "item_milestone_slip": (None, WORKERS_ON_ITEM),
    "item_milestone_undo": (None, WORKERS_ON_ITEM),
    "item_milestone_drop": (None, WORKERS_ON_ITEM),
    "item_evidence_add": (None, WORKERS_ON_ITEM),
    "item_evidence_file": (EVERYONE, NOBODY),
    "import": (MANAGERS, MANAGERS),  # register.add_item
    "import_preview": (MANAGERS, MANAGERS),  # and only the uploader's own upload (tests/web/test_import_screen.py)
    "import_job": (MANAGERS, MANAGERS),  # a large upload's check or import, run by the worker
    "import_profile_delete": (None, MANAGERS),
    "assessment": (EVERYONE, NOBODY),
    "assessment_detail": (EVERYONE, NOBODY),
    "assessment_status": (None, MANAGERS),
    "assessment_outcome": (None, MANAGERS),
    "assessment_official": (None, MANAGERS),
    "assessment_objectives": (EVERYONE, MANAGERS),
    "export": (EVERYONE, NOBODY),
    "export_page": (EVERYONE, NOBODY),
    "export_fedramp": (None, EVERYONE),  # fills the uploaded template; writes nothing
    "people": (ADMINS, ADMINS),
    "people_add": (None, ADMINS),
    "people_add_existing": (None, ADMINS),
    "people_invitation_withdraw": (None, ADMINS),
    "people_role": (None, ADMINS),
    "people_remove": (None, ADMINS),
    "people_password": (None, ADMINS),
    "report_leadership": (EVERYONE, NOBODY),
    "report_security": (EVERYONE, NOBODY),
    "report_operations": (EVERYONE, NOBODY),
    "report_ask": (None, EVERYONE),  # a report or the package, queued for the worker (nothing in the register moves)
    "report_job": (EVERYONE, NOBODY),
    "report_job_download": (EVERYONE, NOBODY),
    "evidence": (EVERYONE, NOBODY),
    "evidence_download": (EVERYONE, NOBODY),
    "evidence_edit": (None, WORKERS_ON_ITEM),
    "evidence_links": (None, WORKERS_ON_ITEM),
    "evidence_delete": (None, ADMINS),
    "review_weekly": (EVERYONE, NOBODY),
    "review_weekly_confirm_all": (None, EVERYONE),  # each person confirms only their own items
    "review_weekly_update": (None, EVERYONE),  # ditto: another's item is 404
    "review_calendar": (None, EVERYONE),  # a person's own private calendar address
    "review_monthly": (EVERYONE, MANAGERS),
    "review_monthly_detail": (EVERYONE, NOBODY),
    "review_quarterly": (EVERYONE, NOBODY),
    "review_quarterly_validate": (None, EVERYONE),  # refused per item: a closed item, not its owner
    # A provider's members read the portfolio (the clients they are members of; administrators every client).
    "portfolio": (EVERYONE, NOBODY),
    "portfolio_export": (EVERYONE, NOBODY),
    "client_new": (ADMINS, ADMINS),
    "remediation_policy": (EVERYONE, MANAGERS),  # scans.change_policy
    "item_findings_decide": (None, MANAGERS),  # scans.decide_finding
}

# A POST that passes form validation, so that a refusal is the permission's and not the form's.
def post_data(world):
    team = world["team"]
    return {"name": "Lockout GPO", "description": "Exported policy", "custodian": team.coordinator.pk,
            "collected_on": "2026-11-01", "review_by": "2027-11-01", "reason": "Role no longer needed",
            "decisions": "Keep the dates", "held_on": "2026-11-02", "attendees": [team.admin.pk],
            "note": "Checked", "items": world["values"]["identifier"], "requirements": "3.1.1",
            "role": "viewer", "username": "someone", "first_name": "Pat", "last_name": "Lee",
            "decision": "false_positive", "critical_days": 30, "high_days": 30, "moderate_days": 90, "low_days": 180}


def test_every_view_is_in_the_role_table():
    names = {name for _, name in organization_routes()}
    assert names == set(TABLE), (f"views without a row: {sorted(names - set(TABLE))}; "
                                 f"rows without a view: {sorted(set(TABLE) - names)}")


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.value)
def test_what_each_role_reads(world, login_as, role):
    client = login_as(user_of(world["team"], role))
    wrong = []
    for route, name in organization_routes():
        readers, _ = TABLE[name]
        expected = 405 if readers is None else 302 if name == "organization" else 200 if role in readers else 403
        status = client.get(url_for(world, route, name)).status_code
        if status != expected:
            wrong.append(f"{name}: {status}, expected {expected}")
    assert not wrong, f"{role.value}: " + "; ".join(wrong)


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.value)
def test_what_each_role_may_not_do_is_refused_and_changes_nothing(world, login_as, role):
    client = login_as(user_of(world["team"], role))
    data = post_data(world)
    wrong = []
    for route, name in organization_routes():
        readers, actors = TABLE[name]
        if role in actors or (readers is not None and not actors):
            continue
        before = AuditEvent.objects.count()
        status = client.post(url_for(world, route, name), data).status_code
        if status != 403 or AuditEvent.objects.count() != before:
            wrong.append(f"{name}: {status}{' and it wrote an audit event' if AuditEvent.objects.count() != before else ''}")
    assert not wrong, f"{role.value} was not refused: " + "; ".join(wrong)


def test_a_viewer_changes_nothing_anywhere(world, login_as):
    """Whatever a viewer posts, wherever: nothing in the register moves (the only thing a viewer may make is
    their own private calendar address, which is not in the audit trail of the POA&M)."""
    client = login_as(world["team"].viewer)
    data = post_data(world)
    for route, name in organization_routes():
        if name == "review_calendar":
            continue
        before = AuditEvent.objects.count()
        status = client.post(url_for(world, route, name), data).status_code
        assert AuditEvent.objects.count() == before, f"{name} ({status}) changed the register for a viewer"
        assert status != 200 or name in {"review_weekly_confirm_all"}, f"{name} answered 200 to a viewer's POST"


def test_another_organization_gets_404_on_every_url(world, login_as):
    client = login_as(world["rival"].admin)
    data = post_data(world)
    for route, name in organization_routes():
        url = url_for(world, route, name)
        assert client.get(url).status_code == 404, f"GET {name}"
        assert client.post(url, data).status_code == 404, f"POST {name}"


def test_signed_out_visitors_are_sent_to_sign_in(world, client):
    for route, name in organization_routes():
        response = client.get(url_for(world, route, name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name


TEMPLATE_SYNTAX = ("{#", "{%", "{{", "#}", "%}", "}}")
# Pages outside any organization: the sign-in pages for a visitor, the account and MFA pages for a member.
VISITOR_PAGES = ("/accounts/login/", "/accounts/password/reset/")
ACCOUNT_PAGES = ("/accounts/password/change/", "/accounts/email/", "/accounts/2fa/",
                 "/accounts/2fa/totp/activate/", "/accounts/2fa/recovery-codes/")


def leaked_syntax(response) -> list[str]:
    """The template syntax an HTML page shows its reader: a comment or tag that the template engine did not
    take as one (a ``{# #}`` comment over two lines is printed as text) reaches the page as it was written."""
    if not response.get("Content-Type", "").startswith("text/html"):
        return []
    html = (b"".join(response.streaming_content) if response.streaming else response.content).decode()
    return [f"{marker!r} near {html[max(0, html.find(marker) - 40):html.find(marker) + 40]!r}"
            for marker in TEMPLATE_SYNTAX if marker in html]


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.value)
def test_no_page_shows_template_syntax(world, login_as, role):
    client = login_as(user_of(world["team"], role))
    leaks, pages = [], 0
    paths = [url_for(world, route, name) for route, name in organization_routes() if TABLE[name][0]]
    for path in ["/", *paths, *ACCOUNT_PAGES]:
        response = client.get(path, follow=True)
        pages += response.status_code == 200
        leaks += [f"{path}: {leak}" for leak in leaked_syntax(response)]
    assert pages >= len(TABLE) // 2, f"only {pages} pages answered 200"
    assert not leaks, f"{role.value} sees template syntax: " + "; ".join(leaks)


def test_the_sign_in_pages_show_no_template_syntax(client, db):
    for path in VISITOR_PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        assert not leaked_syntax(response), f"{path}: {leaked_syntax(response)}"
