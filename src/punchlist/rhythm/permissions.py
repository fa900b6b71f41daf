"""Who may take part in which review, per role and per item (after punchlist.register.permissions).

Owners update their own items weekly; coordinators and admins hold the monthly review; the quarterly
validation is signed by a coordinator, an admin or the item's approval authority, never by its primary owner.
"""

import rules

from punchlist.orgs.permissions import is_approver_role, is_manager, is_member, is_worker
from punchlist.register.permissions import is_approval_authority, is_primary_owner, owns_item

rules.add_perm("rhythm.view_reviews", is_member)
rules.add_perm("rhythm.update_item", is_manager | (is_worker & owns_item))
rules.add_perm("rhythm.record_review", is_manager)
rules.add_perm("rhythm.validate_item",
               (is_manager | (is_approver_role & is_approval_authority)) & ~is_primary_owner)
rules.add_perm("rhythm.use_calendar", is_member)
