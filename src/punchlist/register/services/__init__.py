"""Every write to the register: one function per action, each checking permission, running in one
transaction with the organization's audit chain locked, and writing its audit event in that transaction
(after Zulip's zerver/actions)."""

from ..errors import ConflictError, InvalidChange, PermissionDenied, RegisterError, WorkflowError
from .assessments import (
                          create_assessment,
                          create_scope,
                          set_conditional_date,
                          set_requirement_status,
                          update_assessment,
)
from .blockers import set_blockers
from .evidence import add_evidence
from .items import change_due_date, create_item, governing_assessment, update_item
from .closure import moves_with
from .eligibility import check_poam_eligible, ineligible_requirements
from .milestones import add_milestone, complete_milestone, drop_milestone, reopen_milestone, slip_milestone
from .outcomes import (
    OutcomeRefused,
    conditional_refusal,
    mark_official_poam,
    objective_statuses,
    record_outcome,
    set_objective_status,
    what_it_would_take,
)
from .profiles import delete_profile, save_profile
from .workflow import accept_risk, approve_closure, change_status, reject_closure, reopen_item, request_closure

__all__ = [
    "ConflictError", "InvalidChange", "PermissionDenied", "RegisterError", "WorkflowError",
    "create_assessment", "create_scope", "set_conditional_date", "set_requirement_status", "update_assessment",
    "add_evidence", "set_blockers",
    "change_due_date", "create_item", "governing_assessment", "update_item",
    "add_milestone", "complete_milestone", "drop_milestone", "reopen_milestone", "slip_milestone",
    "moves_with", "check_poam_eligible", "ineligible_requirements",
    "OutcomeRefused", "conditional_refusal", "mark_official_poam", "objective_statuses", "record_outcome",
    "set_objective_status", "what_it_would_take",
    "delete_profile", "save_profile",
    "accept_risk", "approve_closure", "change_status", "reject_closure", "reopen_item", "request_closure",
]
