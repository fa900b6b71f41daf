"""Appending to and verifying the hash chains of the audit trail.

One chain per organization (so an organization's trail can be handed to its assessor and verified alone)
and one for events that belong to none. Each event's hash is an HMAC-SHA256, with a key the database does not
hold (``audit_keys``: PUNCHLIST_AUDIT_KEY, else derived from the secret key), over a canonical JSON of its
fields and the previous event's hash; changing, removing or reordering any event breaks the chain at that
event, and someone who can write to the database but does not have the key cannot forge a new link. Events
written before the trail was keyed (``key_id`` NULL) carry a plain SHA-256 and are verified as such; the first
keyed event links to the last of them and so anchors them, and no unkeyed event may follow a keyed one. The
chain's head is also published outside the database (``checkpoint``), so that removing the last events and
rewinding the head is seen too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from . import checkpoint
from .models import AuditEvent, ChainHead

GENESIS = "0" * 64
SYSTEM_CHAIN = "system"


class AuditError(RuntimeError):
    """The audit trail was used wrongly (an event written outside a transaction, say)."""


def chain_key(organization) -> str:
    return organization_chain_key(organization.pk) if organization is not None else SYSTEM_CHAIN


def organization_chain_key(pk: int) -> str:
    """The chain of the organization with this primary key (for reads over many, without their models)."""
    return f"org-{pk}"


_PLAIN = frozenset({str, int, float, bool})


def jsonable(value):
    """Dates and datetimes as ISO text, so before/after values hash the same after a database round trip."""
    if value is None or type(value) in _PLAIN:
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):  # 12500.00 as stored and 12500 as typed are one amount
        return format(value.normalize(), "f")
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "value") and hasattr(value, "name"):  # an Enum
        return value.value
    return value


HASHED_FIELDS = ("chain", "seq", "organization", "actor", "actor_name", "at", "action", "object_type",
                 "object_id", "subject", "before", "after", "reason", "prev_hash")


def canonical(event: AuditEvent) -> bytes:
    """The bytes an event's hash covers: every field but the hash itself, keys sorted, no spaces."""
    return _canonical_values(
        event.chain, event.seq, event.organization_id, event.actor_id, event.actor_name, event.at, event.action,
        event.object_type, event.object_id, event.subject, event.before, event.after, event.reason,
        event.prev_hash)


def _canonical_values(*values) -> bytes:
    fields = dict(zip(HASHED_FIELDS, values))
    fields["at"] = jsonable(fields["at"])
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


KEY_CONTEXT = b"punchlist audit trail v1"


class UnknownKey(AuditError):
    """An event keyed with a key this server does not have (rotated away without a fallback, or forged)."""


def derive_key(secret: str) -> bytes:
    """The audit key made from a secret (the operator's secret key or PUNCHLIST_AUDIT_KEY): never stored."""
    return hmac.new(secret.encode("utf-8"), KEY_CONTEXT, hashlib.sha256).digest()


def key_id(key: bytes) -> str:
    """A short name of a key, stored with each event so that verification knows which key to use; it gives
    nothing of the key away."""
    return hashlib.sha256(b"punchlist audit key id:" + key).hexdigest()[:16]


def audit_keys() -> tuple[str, bytes, dict[str, bytes]]:
    """The current key's id and key, and every key verification accepts (current and earlier) by id.

    PUNCHLIST_AUDIT_KEY when set, else the secret key; earlier ones from PUNCHLIST_AUDIT_KEY_FALLBACKS and the
    secret key's own fallbacks, so that a rotation keeps older events verifiable.
    """
    from django.conf import settings

    dedicated = getattr(settings, "PUNCHLIST_AUDIT_KEY", "") or ""
    current = derive_key(dedicated or settings.SECRET_KEY)
    secrets = [*getattr(settings, "PUNCHLIST_AUDIT_KEY_FALLBACKS", []), settings.SECRET_KEY,
               *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    keys = {key_id(derive_key(secret)): derive_key(secret) for secret in secrets if secret}
    keys[key_id(current)] = current
    return key_id(current), current, keys


def compute_hash(event: AuditEvent, keys: dict[str, bytes] | None = None) -> str:
    """The event's hash: keyed (HMAC-SHA256) when it names a key, plain SHA-256 for events of before."""
    if event.key_id is None:
        return hashlib.sha256(canonical(event)).hexdigest()
    keys = keys if keys is not None else audit_keys()[2]
    key = keys.get(event.key_id)
    if key is None:
        raise UnknownKey(f"keyed with key {event.key_id}, which this server does not have")
    return hmac.new(key, canonical(event), hashlib.sha256).hexdigest()


def lock(organization) -> ChainHead:
    """Take the chain's head row for the rest of the transaction: writers of one organization queue here.

    Services call this first, before touching anything else, so every writer takes its locks in the same
    order and none can deadlock another.
    """
    if not transaction.get_connection().in_atomic_block:
        raise AuditError("the audit chain may only be locked inside transaction.atomic()")
    key = chain_key(organization)
    head = ChainHead.objects.select_for_update().filter(key=key).first()
    if head is None:
        # Two first writers may race to create the head; the loser's savepoint rolls back and it reads the
        # winner's row (unique key), then waits on its lock.
        head, _ = ChainHead.objects.get_or_create(key=key, defaults={"last_hash": GENESIS})
        head = ChainHead.objects.select_for_update().get(pk=head.pk)
    return head


def record(*, organization, actor, action: str, obj=None, object_type: str = "", object_id: str = "",
           subject: str = "", before=None, after=None, reason: str = "", head: ChainHead | None = None,
           at: datetime | None = None) -> AuditEvent:
    """Append one event to the organization's chain, in the caller's transaction.

    If the caller's transaction rolls back, so does the event: the trail never shows a write that did not
    happen, and never misses one that did.
    """
    if not transaction.get_connection().in_atomic_block:
        raise AuditError("audit events are written in the same transaction as the change they record")
    head = head if head is not None else lock(organization)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    event = AuditEvent(
        chain=head.key,
        seq=head.last_seq + 1,
        organization=organization,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=getattr(actor, "username", "") or "",
        at=at or timezone.now(),
        action=action,
        object_type=object_type,
        object_id=object_id,
        subject=subject,
        before=jsonable(before),
        after=jsonable(after),
        reason=reason or "",
        prev_hash=head.last_hash,
    )
    event.key_id, key, _ = audit_keys()
    event.hash = hmac.new(key, canonical(event), hashlib.sha256).hexdigest()
    event.save(force_insert=True)
    head.last_seq = event.seq
    head.last_hash = event.hash
    head.save(update_fields=["last_seq", "last_hash"])
    checkpoint.publish_on_commit(head.key)
    return event


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
json_text = json.encoder.encode_basestring  # a str as _CANONICAL writes it (ensure_ascii=False), in C


def canonical_json(value) -> str:
    """``value`` (already ``jsonable``) as the text an event's hash covers: keys sorted, no spaces. An importer
    that serializes an event's after-state with this once can hand it to ``record_many`` as ``RawJSON``."""
    return _CANONICAL(value)


def record_many(*, organization, actor, entries: list[dict], head: ChainHead) -> int:
    """Append many events at once (an import of thousands of rows), linked exactly as ``record`` links them.

    Each entry holds ``action`` and optionally object_type, object_id, subject, before, after and reason
    (``obj`` may stand for object_type and object_id); before and after must already be ``jsonable``, or be
    ``RawJSON`` text made by ``canonical_json``. Rows go in without model instances, and each event's JSON is
    serialized once: the text that is hashed is the text that is stored.
    """
    from punchlist.dbinsert import RawJSON, db_value, insert_rows

    if not transaction.get_connection().in_atomic_block:
        raise AuditError("audit events are written in the same transaction as the change they record")
    encode, text_of = _CANONICAL, json_text
    at = timezone.now()
    actor_id = getattr(actor, "pk", None)
    actor_name = getattr(actor, "username", "") or ""
    organization_id = organization.pk if organization is not None else None
    # The canonical text of an event (``canonical``) is a JSON object with sorted keys; the parts that are the
    # same for every event of this call are encoded once.
    same = (f'"actor":{encode(actor_id)},"actor_name":{encode(actor_name)}',
            f'"at":{encode(jsonable(at))}', f'"chain":{encode(head.key)}', f'"organization":{encode(organization_id)}')
    stored_at = db_value(AuditEvent, "at", at)
    current_id, key, _ = audit_keys()
    keyed = hmac.new(key, digestmod=hashlib.sha256)  # copied per event: the key's pads are computed once
    seq, last_hash = head.last_seq, head.last_hash
    rows = []
    for entry in entries:
        obj = entry.get("obj")
        action = entry["action"]
        object_type = entry.get("object_type") or (obj._meta.label_lower if obj is not None else "")
        object_id = entry.get("object_id") or (str(obj.pk) if obj is not None else "")
        subject = entry.get("subject", "")
        reason = entry.get("reason", "")
        before, after = entry.get("before"), entry.get("after")
        before_text = "null" if before is None else before if isinstance(before, RawJSON) else RawJSON(encode(before))
        after_text = "null" if after is None else after if isinstance(after, RawJSON) else RawJSON(encode(after))
        seq += 1
        text = (f'{{"action":{text_of(action)},{same[0]},"after":{after_text},{same[1]},"before":{before_text},'
                f'{same[2]},"object_id":{text_of(object_id)},"object_type":{text_of(object_type)},{same[3]},'
                f'"prev_hash":"{last_hash}","reason":{text_of(reason)},"seq":{seq},"subject":{text_of(subject)}}}')
        mac = keyed.copy()
        mac.update(text.encode("utf-8"))
        digest = mac.hexdigest()
        rows.append((head.key, seq, organization_id, actor_id, actor_name, stored_at, action, object_type,
                     object_id, subject, None if before is None else before_text,
                     None if after is None else after_text, reason, last_hash, digest, current_id))
        last_hash = digest
    insert_rows(AuditEvent, [*HASHED_FIELDS, "hash", "key_id"], rows, batch=2000, prepared=True)
    head.last_seq, head.last_hash = seq, last_hash
    head.save(update_fields=["last_seq", "last_hash"])
    checkpoint.publish_on_commit(head.key)
    return len(rows)


@dataclass(frozen=True)
class Verification:
    """The result of walking one or more chains: every broken event, not only the first."""

    intact: bool
    events: int  # how many events were checked
    chains: int
    first_bad: AuditEvent | None = None
    problem: str = ""
    problems: tuple = ()  # (event or None, what is wrong), in chain order

    def __str__(self):
        if self.intact:
            return f"audit trail intact: {self.events} events in {self.chains} chain(s) verified"
        problems = self.problems or ((self.first_bad, self.problem),)
        lines = [f"audit trail BROKEN at {event if event is not None else 'the chain head'}: {problem}"
                 for event, problem in problems]
        lines.append(f"{len(problems)} problem(s) in {self.events} events of {self.chains} chain(s)")
        return "\n".join(lines)


def verify_chain(organization=None, *, all_chains: bool | None = None) -> Verification:
    """Walk the chain of one organization (or every chain when none is given) and report every event whose
    hash, link, key or position does not match."""
    if organization is not None and not all_chains:
        keys = [chain_key(organization)]
    else:
        keys = sorted(set(ChainHead.objects.values_list("key", flat=True))
                      | set(AuditEvent.objects.values_list("chain", flat=True).distinct()))
    accepted = audit_keys()[2]
    total = 0
    problems: list = []
    for key in keys:
        count, found = _verify_one(key, accepted)
        total += count
        problems += found
    if problems:
        return Verification(False, total, len(keys), problems[0][0], problems[0][1], tuple(problems))
    return Verification(True, total, len(keys))


def _verify_one(key: str, accepted: dict) -> tuple[int, list]:
    """Every problem of one chain. After a break the walk goes on from the stored row, so that one altered
    event is reported once and each further one on its own."""
    problems = []
    previous_hash = GENESIS
    expected_seq = 1
    count = 0
    last = None
    keyed_seen = False
    for event in AuditEvent.objects.filter(chain=key).order_by("seq").iterator(chunk_size=2000):
        count += 1
        if event.seq != expected_seq:
            problems.append((event, f"event #{expected_seq} is missing (the chain jumps from #{expected_seq - 1} "
                                    f"to #{event.seq}): events were deleted"))
        elif event.prev_hash != previous_hash:
            problems.append((event, "its link to the previous event does not match: an earlier event was "
                                    "replaced or the chain was rewritten from here"))
        if event.key_id is None and keyed_seen:
            problems.append((event, "it carries no key although earlier events do: it was written (or rewritten) "
                                    "behind the application's back"))
        try:
            if compute_hash(event, accepted) != event.hash:
                problems.append((event, "its content does not match its hash: the row was altered after it was "
                                        "written, or forged without the key"))
        except UnknownKey as exc:
            problems.append((event, str(exc)))
        keyed_seen = keyed_seen or event.key_id is not None
        previous_hash = event.hash
        expected_seq = event.seq + 1
        last = event
    head = ChainHead.objects.filter(key=key).first()
    if head is not None and (head.last_seq != expected_seq - 1 or head.last_hash != previous_hash):
        problems.append((last, f"the chain ends at #{expected_seq - 1} but its head records #{head.last_seq}: "
                               "the latest events were removed"))
    return count, problems
