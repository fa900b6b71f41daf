"""The 180-day closeout clock (R-CLOSE-1) and the two kinds of record (R-CLOSE-4)."""

from datetime import date

from punchlist.core.closeout import closeout, closeout_deadline, completion_allowed
from punchlist.core.records import RecordKind


def test_r_close_1_deadline_is_180_days_after_the_conditional_date():
    assert closeout_deadline(date(2026, 1, 1)) == date(2026, 6, 30)


def test_r_close_1_countdown_and_expiry():
    status = closeout(date(2026, 1, 1), as_of=date(2026, 6, 30))
    assert status.days_left == 0 and not status.expired and status.warning == 30
    assert closeout(date(2026, 1, 1), as_of=date(2026, 7, 1)).expired
    assert closeout(date(2026, 1, 1), as_of=date(2026, 1, 2)).warning is None
    assert closeout(date(2026, 1, 1), as_of=date(2026, 4, 5)).warning == 90


def test_r_close_1_assessment_poam_completion_may_not_pass_the_deadline():
    conditional = date(2026, 1, 1)
    poam = RecordKind.ASSESSMENT_POAM
    assert completion_allowed(poam, date(2026, 6, 30), conditional)
    assert not completion_allowed(poam, date(2026, 7, 1), conditional)
    assert completion_allowed(poam, date(2027, 1, 1), None)  # no Conditional status yet: no clock


def test_r_close_4_operational_plan_of_action_has_no_clock():
    assert not RecordKind.OPERATIONAL_PLAN.has_closeout_clock
    assert completion_allowed(RecordKind.OPERATIONAL_PLAN, date(2030, 1, 1), date(2026, 1, 1))
