"""The views' figures kept per state of the register, so a second look costs two queries instead of a read of
every item.

The state is named as the register screens name it (``punchlist.web.queries``): the organization's audit chain
head, which every write moves in the same transaction as the write itself; the names of its members (owners
are shown by name); and the day (overdue and due depend on it). Any write, rename or new day computes afresh.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from datetime import date

from django.utils import timezone

from punchlist.audit.chain import GENESIS, chain_key
from punchlist.audit.models import ChainHead
from punchlist.orgs.models import Membership

from . import data, render

KEEP = 48  # (organization, view) pairs kept; each holds a page's figures, not the items
_KEPT: OrderedDict[tuple, tuple] = OrderedDict()
_LOCK = threading.Lock()


def state(organization, as_of: date) -> tuple:
    head = (ChainHead.objects.filter(key=chain_key(organization)).values_list("last_seq", "last_hash").first()
            or (0, GENESIS))
    names = (Membership.objects.for_organization(organization).order_by("user_id")
             .values_list("user_id", "user__first_name", "user__last_name", "user__username"))
    digest = hashlib.sha256("\n".join("\t".join(map(str, row)) for row in names).encode()).hexdigest()
    return (*head, digest, as_of)


def section(organization, key: str, limit: int, *, as_of: date | None = None):
    """``render.section_data(key, ...)`` for the register as it stands now: (figures, charts, marking, as_of)."""
    as_of = as_of or timezone.localdate()
    version = state(organization, as_of)
    slot = (organization.pk, key, limit)
    with _LOCK:
        kept = _KEPT.get(slot)
        if kept is not None and kept[0] == version:
            _KEPT.move_to_end(slot)
            return kept[1]
    snap = data.Snapshot(organization, as_of=as_of)
    figures, charts = render.section_data(key, snap, limit)
    made = (figures, charts, snap.marking, snap.as_of)
    with _LOCK:
        _KEPT[slot] = (version, made)
        _KEPT.move_to_end(slot)
        while len(_KEPT) > KEEP:
            _KEPT.popitem(last=False)
    return made


def forget() -> None:
    with _LOCK:
        _KEPT.clear()
