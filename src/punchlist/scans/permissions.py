"""Who may import scans, decide on findings and set the remediation policy: the coordinators (and admins),
who import and manage the register's items."""

import rules

from punchlist.orgs.permissions import is_manager, is_member

rules.add_perm("scans.view_findings", is_member)
rules.add_perm("scans.decide_finding", is_manager)
rules.add_perm("scans.change_policy", is_manager)
