"""The Item screen through Django's test client: every action, its refusals, tenancy and query counts.

Fixtures (tests/web/conftest.py): ``team``, ``rival``, ``item``, ``login_as(user)`` -> a signed-in client.
"""

from __future__ import annotations

import hashlib
import html
import re
from datetime import date, timedelta
from html.parser import HTMLParser

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from punchlist.audit.models import AuditEvent
from punchlist.register import services
from punchlist.register.models import Milestone, PoamItem, Status
from punchlist.testing import make_item

TODAY = date.today()



def written(day) -> str:
    """A date as the screens write it: 6 Jan 2027."""
    return f"{day.day} {day:%b %Y}"

def url(name, item, *args):
    return reverse(f"web:{name}", args=[item.organization.slug, item.identifier, *args])


def text(response) -> str:
    """The page's text with tags dropped and spaces collapsed, for assertions on what a person reads."""
    body = response.content.decode()
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r"<[^>]+>", " ", body)
    return " ".join(html.unescape(body).split())


class _FormReader(HTMLParser):
    """What a browser would send from the page's forms: inputs, textareas and selected options, by form."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._field = None  # (name, kind) of the open textarea/select

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action", ""), "data": {}})
        elif not self.forms:
            return
        elif tag == "input" and attrs.get("name") and attrs.get("type") not in ("submit", "file", "checkbox"):
            self.forms[-1]["data"][attrs["name"]] = attrs.get("value", "")
        elif tag == "textarea":
            self._field = attrs.get("name")
            self.forms[-1]["data"][self._field] = ""
        elif tag == "select":
            self._field = attrs.get("name")
            self.forms[-1]["data"].setdefault(self._field, "")
        elif tag == "option" and self._field and "selected" in attrs:
            self.forms[-1]["data"][self._field] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag in ("textarea", "select"):
            self._field = None

    def handle_data(self, data):
        if self._field and self.forms and self.lasttag == "textarea":
            self.forms[-1]["data"][self._field] += data


def form_data(response, action: str = "") -> dict:
    """The data of the page's form posting to ``action`` (the first POST form when empty)."""
    reader = _FormReader()
    reader.feed(response.content.decode())
    for form in reader.forms:
        if form["action"] == action or (not action and "csrfmiddlewaretoken" in form["data"]
                                        and "/accounts/" not in form["action"]):
            data = dict(form["data"])
            data.pop("csrfmiddlewaretoken", None)
            return {k: v.removeprefix("\n") for k, v in data.items()}
    raise AssertionError(f"no form posting to {action!r}")


def post_forms(response) -> list[str]:
    """The actions of the page's POST forms, other than signing out."""
    actions = re.findall(r'<form[^>]*method="post"[^>]*action="([^"]*)"', response.content.decode())
    return [a for a in actions if "/accounts/" not in a]


def ready_item(team, **fields):
    item = make_item(team, **fields)
    owner = item.primary_owner
    services.change_status(owner, item, Status.IN_PROGRESS)
    services.add_evidence(owner, item, name="gpo-report.html", content=b"<html>lockout 5/15</html>")
    services.request_closure(owner, item, note="GPO applied to every OU")
    return item


# --- the page -------------------------------------------------------------------------------------------

def test_page_shows_every_field_dates_people_findings_and_history(team, login_as):
    item = make_item(team, remediation="Fix it", responsible_unit="IT operations",
                     supporting_owner=team.owner2, scheduled_in_days=30)
    services.add_milestone(team.owner, item, "Draft the GPO", TODAY + timedelta(days=5))
    services.change_due_date(team.owner, item, TODAY + timedelta(days=40), reason="vendor late")
    response = login_as(team.viewer).get(url("item", item))
    assert response.status_code == 200
    page = text(response)
    for expected in [item.identifier, "AC.L2-3.1.8", "Unsuccessful Logon Attempts",
                     "Limit unsuccessful logon attempts.", "Domain accounts never lock", "Fix it", "IT operations",
                     "Half a day of the Windows administrator",
                     "Marcus Lee", "Olive Lee", "Priya Lee", "High", "Assessment POA&M", "Open",
                     f"Original scheduled completion {written(TODAY + timedelta(days=30))}",
                     f"Current scheduled completion {written(TODAY + timedelta(days=40))}",
                     "10 days later than first planned", "Draft the GPO",
                     "Slips 1 (scheduled completion 1, milestones 0)",
                     "Vague remediation",  # the assessor's eye on this item, by name
                     "Scheduled completion changed", "vendor late", "Created", "Cora Lee"]:  # people by name
        assert expected in page, expected


def test_another_organizations_member_gets_404_on_every_item_url(team, rival, login_as):
    item = ready_item(team)
    milestone = services.add_milestone(team.owner, item, "Report to the board", TODAY)
    evidence = item.evidence.get()
    client = login_as(rival.admin)
    gets = [url("item", item), url("item_edit", item), url("item_evidence_file", item, evidence.pk),
            reverse("web:item_new", args=[team.org.slug])]
    posts = [url("item_edit", item), url("item_due", item), url("item_move", item, "approve"),
             url("item_move", item, "start"), url("item_milestone_add", item),
             url("item_milestone_done", item, milestone.pk), url("item_milestone_slip", item, milestone.pk),
             url("item_evidence_add", item), reverse("web:item_new", args=[team.org.slug])]
    for address in gets:
        assert client.get(address).status_code == 404, address
    for address in posts:
        assert client.post(address, {"move-version": item.version}).status_code == 404, address
    # The same identifier in the rival's own organization is theirs, never ours.
    own = reverse("web:item", args=[rival.org.slug, item.identifier])
    assert client.get(own).status_code == 404
    # A milestone or evidence of our item under the rival's own slug: the item lookup is scoped too.
    rival_item = make_item(rival)
    assert rival_item.identifier == item.identifier
    assert client.post(reverse("web:item_milestone_done", args=[rival.org.slug, item.identifier, milestone.pk])
                       ).status_code == 404
    assert client.get(reverse("web:item_evidence_file", args=[rival.org.slug, item.identifier, evidence.pk])
                      ).status_code == 404
    assert Milestone.objects.get(pk=milestone.pk).done_on is None


def test_signed_out_visitor_is_sent_to_sign_in(team, client):
    item = make_item(team)
    response = client.get(url("item", item))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- milestones -----------------------------------------------------------------------------------------

def test_tick_milestone_inline_with_htmx_returns_the_row(team, item, login_as):
    milestone = services.add_milestone(team.owner, item, "Apply the GPO to every OU", TODAY + timedelta(days=3))
    client = login_as(team.owner)
    page = client.get(url("item", item)).content.decode()
    assert f'hx-post="{url("item_milestone_done", item, milestone.pk)}"' in page
    response = client.post(url("item_milestone_done", item, milestone.pk), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith(f'<li id="milestone-{milestone.pk}"')
    assert f"done on {written(TODAY)}" in body and "<html" not in body
    # The history below is sent too, out of band, with the tick in it.
    history = body[body.index('<section id="history"'):]
    assert 'hx-swap-oob="true"' in history[:100]
    assert "Milestone done" in history and "Apply the GPO to every OU" in history
    assert Milestone.objects.get(pk=milestone.pk).done_on == TODAY
    event = AuditEvent.objects.for_item(item).last()
    assert (event.action, event.actor_name) == ("complete_milestone", "acme-owner")
    # Ticking it again: refused in words, in the row.
    again = client.post(url("item_milestone_done", item, milestone.pk), HTTP_HX_REQUEST="true")
    assert "already done on" in text(again)


def test_tick_milestone_without_javascript_redirects_back(team, item, login_as):
    milestone = services.add_milestone(team.owner, item, "Apply the GPO", TODAY)
    response = login_as(team.owner).post(url("item_milestone_done", item, milestone.pk))
    assert response.status_code == 302 and response["Location"].endswith(url("item", item) + "#milestones")
    assert Milestone.objects.get(pk=milestone.pk).done_on == TODAY


def test_add_milestone_and_refusal_keeps_what_was_typed(team, item, login_as):
    client = login_as(team.owner)
    due = (TODAY + timedelta(days=9)).isoformat()
    refused = client.post(url("item_milestone_add", item), {"milestone-description": "  ", "milestone-due": due})
    assert refused.status_code == 400
    assert f'value="{due}"' in refused.content.decode()
    assert "This field is required" in text(refused)
    response = client.post(url("item_milestone_add", item),
                           {"milestone-description": "Pilot on the finance OU", "milestone-due": due})
    assert response.status_code == 302
    assert item.milestones.get().description == "Pilot on the finance OU"


def test_slip_milestone_needs_a_reason_and_is_counted(team, item, login_as):
    first = TODAY + timedelta(days=5)
    milestone = services.add_milestone(team.owner, item, "Pilot on the finance OU", first)
    client = login_as(team.owner)
    later = (first + timedelta(days=14)).isoformat()
    refused = client.post(url("item_milestone_slip", item, milestone.pk),
                          {f"slip-{milestone.pk}-due": later, f"slip-{milestone.pk}-reason": ""})
    assert refused.status_code == 400
    assert "is a slip and needs a reason" in text(refused)
    assert f'value="{later}"' in refused.content.decode()  # the typed date is kept
    assert Milestone.objects.get(pk=milestone.pk).due == first
    ok = client.post(url("item_milestone_slip", item, milestone.pk),
                     {f"slip-{milestone.pk}-due": later, f"slip-{milestone.pk}-reason": "finance closed this week"})
    assert ok.status_code == 302
    page = text(client.get(url("item", item)))
    assert f"first planned {written(first)}" in page
    assert "Slips 1 (scheduled completion 0, milestones 1)" in page
    assert "finance closed this week" in page


# --- dates ----------------------------------------------------------------------------------------------

def test_later_due_date_needs_a_reason_earlier_does_not(team, item, login_as):
    client = login_as(team.owner)
    original = item.scheduled_completion
    later = (original + timedelta(days=30)).isoformat()
    refused = client.post(url("item_due", item), {"due-version": item.version, "due-scheduled_completion": later,
                                                  "due-reason": ""})
    assert refused.status_code == 400
    assert "is a slip and needs a reason" in text(refused)
    # The service's words, shared with the CLI, with their dates as a person writes them.
    assert f"from {written(original)} to {written(original + timedelta(days=30))}" in text(refused)
    assert f'value="{later}"' in refused.content.decode()
    earlier = (original - timedelta(days=10)).isoformat()
    moved = client.post(url("item_due", item), {"due-version": item.version, "due-scheduled_completion": earlier},
                        follow=True)
    assert moved.redirect_chain[0][1] == 302
    assert f"is now scheduled for {written(original - timedelta(days=10))}." in text(moved)
    item.refresh_from_db()
    assert item.scheduled_completion.isoformat() == earlier and item.original_scheduled_completion == original
    assert client.post(url("item_due", item), {"due-version": item.version, "due-scheduled_completion": later,
                                               "due-reason": "waiting on the vendor"}).status_code == 302
    item.refresh_from_db()
    assert item.scheduled_completion.isoformat() == later


def test_stale_version_is_refused_saying_what_changed_and_keeping_what_was_typed(team, item, login_as):
    client = login_as(team.owner)
    form = client.get(url("item_edit", item))
    assert form.status_code == 200
    data = form_data(form)
    assert data["version"] == str(item.version) and data["initial-title"] == item.title
    data["remediation"] = "Set the lockout GPO to 5 attempts; export the GPO report to the evidence share"
    # Someone else changes the title meanwhile.
    services.update_item(team.coordinator, item, title="Lock accounts after five failed logons (all domains)")
    refused = client.post(url("item_edit", item), data)
    assert refused.status_code == 409
    page = text(refused)
    assert "was changed by acme-coordinator" in page
    assert "Title is now Lock accounts after five failed logons (all domains)" in page
    assert "export the GPO report to the evidence share" in refused.content.decode()  # typed text kept
    fresh = PoamItem.objects.get(pk=item.pk)
    assert fresh.remediation != data["remediation"]
    # Saving again applies only what this person changed; the other's title stays.
    resend = form_data(refused)
    assert resend["version"] == str(fresh.version)
    assert resend["remediation"] == data["remediation"]
    assert client.post(url("item_edit", item), resend).status_code == 302
    fresh.refresh_from_db()
    assert fresh.remediation == data["remediation"]
    assert fresh.title == "Lock accounts after five failed logons (all domains)"


def test_a_stale_status_move_is_refused_and_the_note_kept(team, item, login_as):
    owner = login_as(team.owner)
    services.add_evidence(team.owner, item, name="gpo.html", content=b"gpo")
    item.refresh_from_db()
    read_version = item.version
    services.change_due_date(team.coordinator, item, item.scheduled_completion - timedelta(days=7))
    refused = owner.post(url("item_move", item, "request_closure"), {
        "move-request_closure-version": read_version, "move-request_closure-reason": "GPO on every OU"})
    assert refused.status_code == 409
    page = text(refused)
    assert "was changed by acme-coordinator" in page and "Scheduled completion is now" in page
    data = form_data(refused, url("item_move", item, "request_closure"))
    assert data["move-request_closure-reason"] == "GPO on every OU"
    assert data["move-request_closure-version"] == str(PoamItem.objects.get(pk=item.pk).version)
    assert owner.post(url("item_move", item, "request_closure"), data).status_code == 302
    item.refresh_from_db()
    assert item.status == Status.READY_FOR_VERIFICATION


def test_owner_edits_text_but_not_people_coordinator_reassigns(team, item, login_as):
    client = login_as(team.owner)
    page = client.get(url("item_edit", item)).content.decode()
    assert 'name="primary_owner"' not in page and 'name="title"' in page
    # A forged field outside the owner's form changes nothing.
    client.post(url("item_edit", item), {"version": item.version, "title": item.title,
                                         "primary_owner": team.owner2.pk, "weakness": "new words"})
    item.refresh_from_db()
    assert item.primary_owner == team.owner and item.weakness == "new words"
    coordinator = login_as(team.coordinator)
    page = coordinator.get(url("item_edit", item)).content.decode()
    assert 'name="primary_owner"' in page
    response = coordinator.post(url("item_edit", item), {
        "version": item.version, "title": item.title, "initial-title": item.title,
        "primary_owner": team.owner2.pk, "initial-primary_owner": team.owner.pk,
        "requirements": "3.1.8", "initial-requirements": "3.1.8", "kind": item.kind, "initial-kind": item.kind})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.primary_owner == team.owner2


def test_owner_cannot_name_the_same_person_owner_and_authority(team, item, login_as):
    client = login_as(team.coordinator)
    response = client.post(url("item_edit", item), {
        "version": item.version, "title": item.title, "initial-title": item.title,
        "approval_authority": team.approver2.pk, "initial-approval_authority": team.approver.pk,
        "primary_owner": team.approver2.pk, "initial-primary_owner": team.owner.pk,
        "requirements": "3.1.8", "initial-requirements": "3.1.8", "kind": item.kind, "initial-kind": item.kind})
    assert response.status_code == 400
    assert "may not be the item's primary owner" in text(response)


# --- evidence -------------------------------------------------------------------------------------------

def test_evidence_upload_listed_with_hash_and_served_as_attachment(team, item, login_as, evidence_root):
    client = login_as(team.owner)
    content = b"<script>alert(1)</script> GPO report"
    upload = SimpleUploadedFile("gpo-report.html", content, content_type="text/html")
    response = client.post(url("item_evidence_add", item), {"evidence-file": upload,
                                                            "evidence-description": "exported from GPMC"})
    assert response.status_code == 302
    evidence = item.evidence.get()
    digest = hashlib.sha256(content).hexdigest()
    assert (evidence.name, evidence.sha256, evidence.size) == ("gpo-report.html", digest, len(content))
    page = text(client.get(url("item", item)))
    assert digest in page and f"{len(content)} bytes" in page and "exported from GPMC" in page
    for reader in (team.owner, team.viewer):
        download = login_as(reader).get(url("item_evidence_file", item, evidence.pk))
        assert download.status_code == 200
        assert download["Content-Disposition"].startswith("attachment;")
        assert 'filename="gpo-report.html"' in download["Content-Disposition"]
        assert download["X-Content-Type-Options"] == "nosniff"
        assert download["Content-Type"] == "application/octet-stream"
        assert b"".join(download.streaming_content) == content


def test_evidence_reference_and_refusals(team, item, login_as, settings):
    client = login_as(team.owner)
    response = client.post(url("item_evidence_add", item), {"evidence-reference": "ServiceNow CHG0041",
                                                            "evidence-name": "Change ticket"})
    assert response.status_code == 302
    evidence = item.evidence.get()
    assert evidence.reference == "ServiceNow CHG0041" and evidence.sha256 == ""
    assert client.get(url("item_evidence_file", item, evidence.pk)).status_code == 404  # nothing to download
    empty = client.post(url("item_evidence_add", item), {"evidence-description": "typed and kept"})
    assert empty.status_code == 400 and "either a file or a reference" in text(empty)
    assert "typed and kept" in empty.content.decode()
    settings.PUNCHLIST_MAX_UPLOAD_BYTES = 1024
    big = SimpleUploadedFile("huge.bin", b"x" * 5000)
    refused = client.post(url("item_evidence_add", item), {"evidence-file": big, "evidence-description": "big one"})
    assert refused.status_code == 400
    assert "huge.bin is larger than 1.0 KB, the limit for evidence files; nothing was stored" in text(refused)
    assert "either a file or a reference" not in text(refused)
    assert "big one" in refused.content.decode()
    assert item.evidence.count() == 1


# --- the workflow ---------------------------------------------------------------------------------------

def move(client, item, key, **fields):
    item.refresh_from_db()
    data = {f"move-{key}-version": item.version}
    data.update({f"move-{key}-{name}": value for name, value in fields.items()})
    return client.post(url("item_move", item, key), data)


def test_owner_to_approver_closure_with_reasons_in_history(team, item, login_as):
    owner = login_as(team.owner)
    assert move(owner, item, "start").status_code == 302
    refused = move(owner, item, "request_closure", reason="done")
    assert refused.status_code == 400
    assert "has no evidence" in text(refused)
    services.add_evidence(team.owner, item, name="gpo.html", content=b"gpo")
    assert move(owner, item, "request_closure", reason="GPO applied everywhere").status_code == 302
    item.refresh_from_db()
    assert item.status == Status.READY_FOR_VERIFICATION
    owner_page = owner.get(url("item", item))
    assert "/move/approve/" not in owner_page.content.decode()
    approver = login_as(team.approver)
    page = approver.get(url("item", item)).content.decode()
    assert url("item_move", item, "approve") in page and url("item_move", item, "reject") in page
    assert move(approver, item, "approve", reason="checked the GPO report").status_code == 302
    item.refresh_from_db()
    assert item.status == Status.CLOSED and item.verified_by == team.approver and item.completion_date == TODAY
    page = text(approver.get(url("item", item)))
    assert "Closure approved" in page and "checked the GPO report" in page and "GPO applied everywhere" in page
    # Reopening needs a reason.
    refused = move(approver, item, "reopen", reason="")
    assert refused.status_code == 400 and "Reopen needs a reason" in text(refused)
    assert move(approver, item, "reopen", reason="lockout found off on the lab OU",
                to_status="open").status_code == 302
    item.refresh_from_db()
    assert item.status == Status.OPEN and item.completion_date is None


def test_reject_closure_needs_a_reason(team, login_as):
    item = ready_item(team)
    approver = login_as(team.approver)
    refused = move(approver, item, "reject", reason="   ")
    assert refused.status_code == 400 and "Reject closure needs a reason" in text(refused)
    assert move(approver, item, "reject", reason="the report covers one OU only").status_code == 302
    item.refresh_from_db()
    assert item.status == Status.IN_PROGRESS


def test_owner_withdraws_a_closure_request_with_a_reason(team, login_as):
    item = ready_item(team)
    owner = login_as(team.owner)
    page = owner.get(url("item", item)).content.decode()
    assert url("item_move", item, "withdraw") in page and url("item_move", item, "reject") not in page
    assert move(owner, item, "withdraw", reason="").status_code == 400
    assert move(owner, item, "withdraw", reason="found one OU left out").status_code == 302
    item.refresh_from_db()
    assert item.status == Status.IN_PROGRESS


def test_risk_is_accepted_only_on_an_operational_plan_by_its_authority(team, login_as):
    from punchlist.register.models import Kind

    assessment_item = make_item(team)
    approver = login_as(team.approver)
    assert url("item_move", assessment_item, "accept_risk") not in approver.get(url("item", assessment_item)
                                                                                 ).content.decode()
    refused = move(approver, assessment_item, "accept_risk", reason="cheaper to live with")
    assert refused.status_code == 400 and "cannot be risk accepted" in text(refused)
    plan = make_item(team, kind=Kind.OPERATIONAL_PLAN, title="Old CNC controller cannot take the agent")
    assert url("item_move", plan, "accept_risk") in approver.get(url("item", plan)).content.decode()
    assert move(approver, plan, "accept_risk", reason="").status_code == 400
    assert move(approver, plan, "accept_risk", reason="isolated VLAN, replaced in 2027").status_code == 302
    plan.refresh_from_db()
    assert plan.status == Status.RISK_ACCEPTED


def test_the_upload_keeps_its_csrf_check(team, item, login_as):
    from django.test import Client

    client = login_as(team.owner, Client(enforce_csrf_checks=True))  # past every gate, the second factor too
    response = client.post(url("item_evidence_add", item), {"evidence-reference": "CHG0041"})
    assert response.status_code == 403 and item.evidence.count() == 0
    page = client.get(url("item", item)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post(url("item_evidence_add", item), {"evidence-reference": "CHG0041",
                                                            "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and item.evidence.count() == 1


def test_self_approval_is_refused_without_a_button(team, login_as):
    # An approver who owns an item (another approver is its authority) cannot approve it.
    item = ready_item(team, primary_owner=team.approver2, approval_authority=team.approver,
                      evidence_custodian=team.approver2)
    client = login_as(team.approver2)
    page = client.get(url("item", item)).content.decode()
    assert url("item_move", item, "approve") not in page
    forged = move(client, item, "approve")
    assert forged.status_code == 403
    assert "is the primary owner of" in text(forged) and "may not approve its closure" in text(forged)
    # Nor can the item owner of an ordinary item.
    other = ready_item(team)
    forged = move(login_as(team.owner), other, "approve")
    assert forged.status_code == 403
    for it in (item, other):
        it.refresh_from_db()
        assert it.status == Status.READY_FOR_VERIFICATION


def test_viewer_sees_no_controls_and_every_post_is_refused(team, login_as):
    item = ready_item(team)
    milestone = services.add_milestone(team.owner, item, "Report to the board", TODAY)
    client = login_as(team.viewer)
    page = client.get(url("item", item))
    assert post_forms(page) == []
    assert "Edit" not in text(page).split("History")[0].split() and "Add evidence" not in text(page)
    version = item.version
    attempts = {
        url("item_edit", item): {"version": version, "title": "mine now"},
        url("item_due", item): {"due-version": version, "due-scheduled_completion": TODAY.isoformat()},
        url("item_milestone_add", item): {"milestone-description": "x"},
        url("item_milestone_done", item, milestone.pk): {},
        url("item_milestone_slip", item, milestone.pk): {f"slip-{milestone.pk}-due": TODAY.isoformat(),
                                                         f"slip-{milestone.pk}-reason": "r"},
        url("item_evidence_add", item): {"evidence-reference": "somewhere"},
        reverse("web:item_new", args=[team.org.slug]): {"requirements": "3.1.1", "title": "t"},
    }
    for key in ("open", "start", "request_closure", "back_to_open", "withdraw", "approve", "reject", "reopen",
                "accept_risk"):
        attempts[url("item_move", item, key)] = {f"move-{key}-version": version, f"move-{key}-reason": "because"}
    for address, data in attempts.items():
        response = client.post(address, data)
        assert response.status_code == 403, address
        assert "acme-viewer" in text(response) or "not the approval authority" in text(response), address
    assert client.get(url("item_edit", item)).status_code == 403
    item.refresh_from_db()
    assert item.version == version and item.evidence.count() == 1


# --- adding an item -------------------------------------------------------------------------------------

def test_coordinator_adds_an_item_and_refusals_keep_the_form(team, login_as):
    address = reverse("web:item_new", args=[team.org.slug])
    assert login_as(team.owner).get(address).status_code == 403
    client = login_as(team.coordinator)
    assert client.get(address).status_code == 200
    data = {"requirements": "AC.L2-3.1.99", "title": "Enforce session lock", "kind": "assessment_poam",
            "status": "open", "weakness": "Screens never lock", "primary_owner": team.owner.pk,
            "approval_authority": team.approver.pk}
    refused = client.post(address, data)
    assert refused.status_code == 400
    assert "is not a NIST SP 800-171 Rev 2 requirement" in text(refused)
    assert "Screens never lock" in refused.content.decode()
    data["requirements"] = "AC.L2-3.1.10"
    response = client.post(address, data)
    assert response.status_code == 302
    created = PoamItem.objects.get(organization=team.org, title="Enforce session lock")
    assert created.identifier == "POAM-AC-001" and created.requirement_ids == ["3.1.10"]
    assert response["Location"].endswith(url("item", created))


# --- speed ----------------------------------------------------------------------------------------------

def _busy_item(team, n: int):
    item = make_item(team, title=f"Item with {n} of everything")
    for i in range(n):
        milestone = services.add_milestone(team.owner, item, f"Step {i}", TODAY + timedelta(days=i + 1))
        if i % 2:
            services.complete_milestone(team.owner, milestone)
        services.add_evidence(team.owner, item, name=f"ref {i}", reference=f"ticket {i}")
    return item


def test_item_page_queries_do_not_grow_with_milestones_evidence_and_events(team, login_as):
    small, large = _busy_item(team, 3), _busy_item(team, 30)
    client = login_as(team.owner)
    counts, own = {}, {}
    for item in (small, large):
        client.get(url("item", item))  # warm: the session, the catalog
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url("item", item))
        assert response.status_code == 200
        n = item.milestones.count()
        counts[n] = len(queries)
        # The page's own reads (the sign-in, session and membership gates are the same on every page): the
        # item, its requirements, milestones, own evidence (for the lint), own and linked evidence (the list),
        # audit events and the governing assessment; and what it waits on and what waits on it (where it ranks,
        # and why, is judged from these without the register's whole order).
        own[n] = sum(1 for q in queries.captured_queries if re.search(r'FROM "(register|audit)_', q["sql"]))
    assert AuditEvent.objects.for_item(large).count() > 60
    assert counts[3] == counts[30], counts
    assert own[3] == own[30] == 9, own


def test_an_approval_authority_who_did_the_work_has_no_approve_button_and_is_refused(team, login_as):
    """Separation of duties in the web app: the administrator made himself approval authority of the owner's
    item, added the evidence and put it forward; the approve move is neither shown nor accepted."""
    item = make_item(team)
    services.update_item(team.admin, item, approval_authority=team.admin)
    services.change_status(team.admin, item, Status.IN_PROGRESS)
    services.add_evidence(team.admin, item, name="done.txt", content=b"trust me\n")
    services.request_closure(team.admin, item)
    client = login_as(team.admin)
    page = client.get(url("item", item)).content.decode()
    assert url("item_move", item, "approve") not in page
    forged = move(client, item, "approve")
    assert forged.status_code == 403
    assert "acme-admin requested the closure of" in text(forged) and "may not approve its closure" in text(forged)
    item.refresh_from_db()
    assert item.status == Status.READY_FOR_VERIFICATION
