"""What the register's services raise. Each message is a sentence a person can act on."""

from punchlist.orgs.permissions import PermissionDenied  # noqa: F401  (re-exported)


class RegisterError(Exception):
    """Base of every refusal by the register's services."""


class InvalidChange(RegisterError):
    """A value that cannot be stored: an unknown requirement, a person outside the organization, ..."""


class WorkflowError(RegisterError):
    """The change breaks a rule of the workflow: closure without evidence, a slip without a reason, ..."""


class ConflictError(RegisterError):
    """Someone else changed the item since the writer read it (optimistic locking).

    ``changes`` maps each field changed since the writer's version to its current value; ``by`` names who
    changed it.
    """

    def __init__(self, item, expected_version: int, changes: dict, by: list[str]):
        self.item = item
        self.expected_version = expected_version
        self.current_version = item.version
        self.changes = changes
        self.by = by
        listed = "; ".join(f"{field} is now {value!r}" for field, value in changes.items()) or "its status"
        who = ", ".join(by) or "someone else"
        super().__init__(
            f"{item.identifier} was changed by {who} since you opened it (your version {expected_version}, "
            f"now {item.version}): {listed}. Reload it and make your change again."
        )
