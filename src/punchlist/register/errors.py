"""What the register's services raise. Each message is a sentence a person can act on."""

from punchlist.audit.locking import StaleWrite
from punchlist.orgs.permissions import PermissionDenied  # noqa: F401  (re-exported)


class RegisterError(Exception):
    """Base of every refusal by the register's services."""


class InvalidChange(RegisterError):
    """A value that cannot be stored: an unknown requirement, a person outside the organization, ..."""


class WorkflowError(RegisterError):
    """The change breaks a rule of the workflow: closure without evidence, a slip without a reason, ..."""


class ConflictError(StaleWrite, RegisterError):
    """Someone else changed the item, its evidence, a milestone or an assessment since the writer read it
    (optimistic locking, ``punchlist.audit.locking``). ``item`` is the record refused (kept under that
    name: items were the first records locked this way)."""

    def __init__(self, obj, expected_version: int, changes: dict, by: list[str], subject: str = ""):
        super().__init__(obj, expected_version, changes, by,
                         subject or getattr(obj, "identifier", "") or str(obj))
        self.item = obj
