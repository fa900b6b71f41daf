"""The 180-day POA&M closeout clock (R-CLOSE-1) and which records run on it (R-CLOSE-4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .records import RecordKind

CLOSEOUT_DAYS = 180  # R-CLOSE-1: 32 CFR 170.21(b)
# The countdown warns at these many days left (the reminders use the same marks).
WARNING_DAYS = (90, 60, 30)


def closeout_deadline(conditional_date: date) -> date:
    """The last day a closeout assessment may confirm closure: 180 days after the Conditional status date.

    The Conditional status date stays the CMMC Status Date after a closeout (R-CLOSE-3), so this never moves.
    """
    return conditional_date + timedelta(days=CLOSEOUT_DAYS)


@dataclass(frozen=True, slots=True)
class Closeout:
    conditional_date: date
    deadline: date
    days_left: int  # negative once the deadline has passed

    @property
    def expired(self) -> bool:
        """R-CLOSE-1: without a confirmed closeout by the deadline, the Conditional status expires."""
        return self.days_left < 0

    @property
    def warning(self) -> int | None:
        """The tightest warning mark the countdown has reached, or None."""
        reached = [mark for mark in WARNING_DAYS if 0 <= self.days_left <= mark]
        return min(reached) if reached else None


def closeout(conditional_date: date, as_of: date) -> Closeout:
    deadline = closeout_deadline(conditional_date)
    return Closeout(conditional_date, deadline, (deadline - as_of).days)


def completion_allowed(kind: RecordKind, completion: date | None, conditional_date: date | None) -> bool:
    """Whether a planned completion date respects the closeout clock.

    Only assessment POA&M items under a Conditional status run on the clock; an operational plan of action
    has no remediation timeline (R-CLOSE-4).
    """
    if not kind.has_closeout_clock or conditional_date is None or completion is None:
        return True
    return completion <= closeout_deadline(conditional_date)
