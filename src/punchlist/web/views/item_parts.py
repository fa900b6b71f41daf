"""Parts of the Item screen that are not views: the status moves and who sees them, the history read from
the audit trail, the words of a conflict, and the upload limit."""

from __future__ import annotations

import re
from datetime import date, datetime

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.template.defaultfilters import filesizeformat

from punchlist.register import services
from punchlist.audit.locking import StaleWrite
from punchlist.orgs.models import Role
from punchlist.register.models import Determination, Kind, Status
from punchlist.web import words
from punchlist.web.forms import PEOPLE, PERSON_LABELS

# --- status moves ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Move:
    key: str
    label: str
    reason_label: str
    reason_required: bool
    style: str = ""
    # Asked in the view before the service runs, so that a forged POST is a 403 whatever the item's state;
    # None where the service's own refusal says more (approving one's own item): then only viewers are
    # refused in the view.
    permission: str | None = "register.change_item"


MOVES = {move.key: move for move in [
    Move("open", "Open the item", "Note", False),
    Move("start", "Start work", "Note", False),
    Move("request_closure", "Request closure", "What was done, and where the evidence shows it", False),
    Move("back_to_open", "Move back to open", "Why", True, "secondary"),
    Move("withdraw", "Withdraw the closure request", "Why", True, "secondary"),
    Move("approve", "Approve closure", "What you verified", False, permission=None),
    Move("reject", "Reject closure", "What is missing", True, "danger", "register.reject_closure"),
    Move("reopen", "Reopen", "Why it is not fixed after all", True, "danger", "register.reopen_item"),
    Move("accept_risk", "Accept the risk", "Why the risk is accepted", True, "danger", permission=None),
]}
FINAL = (Status.CLOSED, Status.RISK_ACCEPTED)


def available_moves(user, item) -> list[Move]:
    """The moves this person may make on the item as it stands (the buttons shown)."""
    status = Status(item.status)
    owner = user.pk in (item.primary_owner_id, item.supporting_owner_id)
    keys = []
    if user.has_perm("register.change_item", item):
        keys += {Status.DRAFT: ["open", "start"], Status.OPEN: ["start", "request_closure"],
                 Status.IN_PROGRESS: ["request_closure", "back_to_open"],
                 Status.READY_FOR_VERIFICATION: ["withdraw"] if owner else []}.get(status, [])
    if status == Status.READY_FOR_VERIFICATION:
        if user.has_perm("register.approve_closure", item):
            keys.append("approve")
        if not owner and user.has_perm("register.reject_closure", item):
            keys.append("reject")
    if status in FINAL and user.has_perm("register.reopen_item", item):
        keys.append("reopen")
    if item.kind == Kind.OPERATIONAL_PLAN and status not in FINAL and user.has_perm("register.accept_risk", item):
        keys.append("accept_risk")
    return [MOVES[key] for key in keys]


def perform(user, item, move: Move, data: dict) -> None:
    version, reason = data["version"], data.get("reason") or ""
    if move.key == "open":
        services.change_status(user, item, Status.OPEN, reason=reason, version=version)
    elif move.key == "start":
        services.change_status(user, item, Status.IN_PROGRESS, reason=reason, version=version)
    elif move.key == "back_to_open":
        services.change_status(user, item, Status.OPEN, reason=reason, version=version)
    elif move.key == "request_closure":
        services.request_closure(user, item, note=reason, version=version)
    elif move.key in ("withdraw", "reject"):
        services.reject_closure(user, item, reason=reason, status=Status.IN_PROGRESS, version=version)
    elif move.key == "approve":
        services.approve_closure(user, item, note=reason, completion_date=data.get("completion_date"),
                                 version=version, record_met=bool(data.get("record_met")))
    elif move.key == "reopen":
        services.reopen_item(user, item, reason=reason, status=data.get("to_status") or Status.IN_PROGRESS,
                             version=version)
    elif move.key == "accept_risk":
        services.accept_risk(user, item, reason=reason, version=version)


# --- the history --------------------------------------------------------------------------------------------

FIELD_LABELS = {
    "title": "Title", "weakness": "Weakness", "severity": "Severity", "remediation": "Remediation",
    "interim_mitigation": "Interim mitigation", "responsible_unit": "Responsible unit",
    "resources": "Resources / funding", "source": "Source", "objectives": "Objectives",
    "requirements": "Requirements", "kind": "Kind", "status": "Status", "assessment": "Assessment",
    "start_date": "Start date", "scheduled_completion": "Scheduled completion",
    "original_scheduled_completion": "Original scheduled completion", "completion_date": "Completion date",
    "verified_by": "Verified by", "verified_at": "Verified at", "description": "Description", "due": "Due",
    "original_due": "Originally due", "done_on": "Done on", "name": "Name", "sha256": "SHA-256", "size": "Size",
    "reference": "Reference", "added_at": "Added at", "custodian": "Custodian", "file_type": "File type",
    "collected_on": "Collected on", "review_by": "Review by", "linked_items": "Linked items",
    "determination": "Determination", "partial": "Partial (3 points)", "implementation": "Implementation statement",
    "role": "Role", "level": "Level", "assessed_on": "Assessed on", "scope": "Scope",
    "conditional_status_date": "Conditional status date", "is_the_assessment_poam": "The assessment POA&M",
    **PERSON_LABELS,
    "external_id": "Original id", "status_date": "Status date", "assets": "Assets affected", "cves": "CVEs",
    "source_identifier": "Source identifier", "likelihood": "Likelihood", "impact": "Impact",
    "residual_risk": "Residual risk", "risk_adjustment": "Risk adjustment", "vendor_dependency": "Waits on a vendor",
    "vendor_product": "Vendor's product", "vendor_check_in": "Last vendor check-in",
    "vendor_involvement": "Vendor involvement", "budget_money": "Budget (money)", "budget_hours": "Budget (hours)",
    "decision_needed": "Decision needed", "comments": "Comments", "touches_cui": "Touches CUI",
    "blocked_by": "Blocked by",
}


def item_details(item) -> list[tuple[str, str]]:
    """The item's further details that are set, labelled, for its page (the form edits them all)."""
    from punchlist.register.details import EDITABLE

    shown = []
    for name in EDITABLE:
        value = getattr(item, name)
        if value is None or value == "":
            continue
        shown.append((FIELD_LABELS[name], display(name, value, {})))
    return shown
ACTION_LABELS = {
    "create_item": "Created", "update_item": "Edited", "change_due_date": "Scheduled completion changed",
    "change_status": "Status changed", "request_closure": "Closure requested", "approve_closure": "Closure approved",
    "reject_closure": "Sent back from verification", "set_blockers": "Blocked-by links changed",
    "reopen_item": "Reopened", "accept_risk": "Risk accepted",
    "add_milestone": "Milestone added", "complete_milestone": "Milestone done", "slip_milestone": "Milestone slipped",
    "reopen_milestone": "Milestone unticked", "import_item": "Imported",
    "weekly_update": "Weekly update", "validate_item": "Quarterly validation",
    "reschedule_milestone": "Milestone rescheduled", "add_evidence": "Evidence added",
}
PERSON_KEYS = frozenset(PEOPLE + ("verified_by", "custodian", "added_by"))
CHOICES = {"status": dict(Status.choices), "kind": dict(Kind.choices),
           "determination": dict(Determination.choices), "role": dict(Role.choices)}
HIDDEN_IN_HISTORY = frozenset({"version", "identifier"})


_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _as_written(value) -> str:
    """A value of the audit trail as a person writes it: ISO dates and timestamps (with their microseconds)
    as "11 Dec 2026" and "11 Dec 2026, 09:05"."""
    if isinstance(value, str):
        if _ISO_DAY.match(value):
            return words.day(date.fromisoformat(value))
        if _ISO_MOMENT.match(value):
            try:
                return words.moment(datetime.fromisoformat(value))
            except ValueError:
                return value
    return str(value)


def _milestone(value) -> str:
    """A milestone as the import recorded it, [description, due, done on]: “Pilot on 3 laptops” due 20 Nov 2026."""
    description, due, done = (list(value) + [None, None, None])[:3]
    said = f"“{description}”"
    if due:
        said += f" due {_as_written(due)}"
    if done:
        said += f", done {_as_written(done)}"
    return said


def display(field: str, value, names: dict) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if field in PERSON_KEYS:
        return names.get(value, f"user #{value}")
    if field in CHOICES:
        return CHOICES[field].get(value, value)
    if field == "severity":
        return str(value).capitalize()
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if field in ("budget_money", "budget_hours"):
        from decimal import Decimal

        return format(Decimal(str(value)).normalize(), "f")
    if field == "size" and isinstance(value, int):
        exact = f" ({value:,} bytes)" if value >= 1024 else ""
        return f"{filesizeformat(value)}{exact}"
    if field == "milestones" and isinstance(value, list):
        return "; ".join(_milestone(m) if isinstance(m, (list, tuple)) else _as_written(m) for m in value)
    if isinstance(value, list):
        return ", ".join(_as_written(v) for v in value)
    return _as_written(value)


def names_of(user_ids) -> dict:
    user_ids = {pk for pk in user_ids if isinstance(pk, int)}
    if not user_ids:
        return {}
    return {pk: (f"{first} {last}".strip() or username) for pk, first, last, username in
            get_user_model().objects.filter(pk__in=user_ids).values_list("pk", "first_name", "last_name", "username")}


def is_item_slip(event) -> bool:
    """A move of the item's scheduled completion later (or off the calendar)."""
    before, after = event.before or {}, event.after or {}
    if "scheduled_completion" not in after or before.get("scheduled_completion") is None:
        return False
    return after["scheduled_completion"] is None or after["scheduled_completion"] > before["scheduled_completion"]


def history(item, events, milestones, evidence) -> tuple[list[dict], dict]:
    """The item's audit trail as rows (newest first), and its slips counted."""
    names = names_of([value for event in events for side in (event.before, event.after) if side
                      for key, value in side.items() if key in PERSON_KEYS] + [event.actor_id for event in events])
    things = {("register.milestone", str(m.pk)): f"milestone “{m.description}”" for m in milestones}
    things.update({("register.evidence", str(e.pk)): f"evidence “{e.name}”" for e in evidence})
    rows = []
    for event in events:
        before, after = event.before or {}, event.after or {}
        changes = []
        for key in dict.fromkeys([*after, *before]):
            if key in HIDDEN_IN_HISTORY or (event.before is None and after.get(key) in (None, "", [])):
                continue
            changes.append({"field": FIELD_LABELS.get(key, key.replace("_", " ").capitalize()),
                            "before": display(key, before.get(key), names) if event.before is not None else None,
                            "after": display(key, after.get(key), names)})
        who = names.get(event.actor_id) or event.actor_name or "system"
        rows.append({"event": event, "who": who, "label": ACTION_LABELS.get(event.action, event.action.replace("_", " ")),
                     "about": things.get((event.object_type, event.object_id), ""), "changes": changes,
                     "slip": event.action == "slip_milestone" or is_item_slip(event)})
    slips = {"item": sum(1 for e in events if is_item_slip(e)),
             "milestones": sum(1 for e in events if e.action == "slip_milestone")}
    slips["total"] = slips["item"] + slips["milestones"]
    rows.reverse()
    return rows, slips


def conflict_message(exc: StaleWrite) -> str:
    """The refusal of a stale save in words: who changed what (an item, a piece of evidence, a milestone, a
    determination, a membership), with the values as they are now."""
    names = names_of(value for key, value in exc.changes.items() if key in PERSON_KEYS)
    changed = "; ".join(f"{FIELD_LABELS.get(key, key.replace('_', ' ').capitalize())} is now "
                        f"{display(key, value, names)}"
                        for key, value in exc.changes.items()) or "its status or dates changed"
    who = ", ".join(exc.by) or "someone else"
    return (f"Not saved: {exc.subject} was changed by {who} since you opened it (your version "
            f"{exc.expected_version}, now {exc.current_version}). {changed}. What you typed is kept below; "
            "check it against these changes and save again.")


class UploadLimit(FileUploadHandler):
    """First of the upload handlers: a file past PUNCHLIST_MAX_UPLOAD_BYTES is dropped as it streams in,
    never written to disk, and named so the page can say so."""

    def __init__(self, request, limit: int):
        super().__init__(request)
        self.limit = limit
        self.too_large: list[str] = []

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.too_large.append(self.file_name)
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None
