"""Every write of the rhythm: one function per action, each checking permission, running in one transaction
with the organization's audit chain locked, and writing its audit event in that transaction (the register's
pattern, punchlist.register.services)."""

from .calendar import create_feed, revoke_feed
from .monthly import record_review, take_snapshot
from .quarterly import validate_item
from .reminders import send_reminders
from .weekly import confirm_items, submit_update

__all__ = ["create_feed", "revoke_feed", "record_review", "take_snapshot", "validate_item", "send_reminders",
           "confirm_items", "submit_update"]
