"""The chains' heads published outside the database: a checkpoint file that ``punchlist verify`` compares with.

Someone who can write to the database can delete the last events and set the head back to match; the
checkpoint still names the later head, so the rewind shows. It is written after every commit that adds events
(``publish_on_commit``), never moves a chain back, and refuses to move one forward past a rewritten stretch:
it advances only while the event it names still carries the hash it recorded. It also records where each
chain's keyed era began (``keyed_from``), so that a chain rewritten with plain hashes from there on shows too.

PUNCHLIST_AUDIT_CHECKPOINT names the file (default: DATA_DIR/audit-checkpoint.json). Its worth depends on the
operator keeping it where the database's users cannot write (docs/security.md, 3.3.8).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import transaction

log = logging.getLogger("punchlist.security")


def location() -> Path:
    return Path(settings.PUNCHLIST_AUDIT_CHECKPOINT)


def read(path: Path | None = None) -> dict | None:
    """The chains as the checkpoint records them ({key: {"seq", "hash", "keyed_from"}}), None without a file."""
    path = path or location()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    return json.loads(text).get("chains", {})


@contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write(path: Path, chains: dict) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps({"chains": chains}, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(temporary, path)


def _event_hash(key: str, seq: int):
    from .models import AuditEvent

    return AuditEvent.objects.filter(chain=key, seq=seq).values_list("hash", flat=True).first()


def _keyed_from(key: str):
    from .models import AuditEvent

    return (AuditEvent.objects.filter(chain=key, key_id__isnull=False).order_by("seq")
            .values_list("seq", flat=True).first())


def publish(keys, path: Path | None = None) -> list[str]:
    """Record the committed heads of the chains ``keys`` in the checkpoint; returns what it refused to record
    (a chain whose recorded event no longer carries its recorded hash, or that went back)."""
    from .models import ChainHead

    path = path or location()
    refused = []
    heads = {key: (seq, hash_) for key, seq, hash_ in
             ChainHead.objects.filter(key__in=list(keys)).values_list("key", "last_seq", "last_hash")}
    with _locked(path):
        chains = read(path) or {}
        for key, (seq, hash_) in heads.items():
            known = chains.get(key)
            if known is not None:
                if seq <= known["seq"]:
                    if seq < known["seq"] or hash_ != known["hash"]:
                        refused.append(key)
                    continue
                if _event_hash(key, known["seq"]) != known["hash"]:
                    refused.append(key)
                    continue
            keyed_from = known.get("keyed_from") if known else None
            chains[key] = {"seq": seq, "hash": hash_, "keyed_from": keyed_from or _keyed_from(key)}
        _write(path, chains)
    for key in refused:
        log.error("audit checkpoint: chain %s no longer matches %s; not moved (run `punchlist verify`)", key, path)
    return refused


class _Publisher:
    """One callback per transaction, whatever the number of events: the chains it touched."""

    def __init__(self):
        self.keys: set[str] = set()
        self.done = False

    def __call__(self):
        self.done = True
        publish(self.keys)


def publish_on_commit(key: str) -> None:
    connection = transaction.get_connection()
    for _, callback, _ in connection.run_on_commit:
        if isinstance(callback, _Publisher) and not callback.done:
            callback.keys.add(key)
            return
    publisher = _Publisher()
    publisher.keys.add(key)
    transaction.on_commit(publisher, robust=True)


def compare(path: Path | None = None, keys=None) -> tuple[list[tuple[str, str]], list[str]]:
    """The chains in the database (or those named by ``keys``) against the checkpoint: (problems as (chain,
    what), notes). A chain the
    checkpoint does not know yet that has no keyed event (a register from before) is adopted; the heads are
    recorded again when nothing is wrong."""
    from .models import AuditEvent, ChainHead

    path = path or location()
    recorded = read(path)
    heads = dict((ChainHead.objects.filter(key__in=list(keys)) if keys is not None else ChainHead.objects.all())
                 .values_list("key", "last_seq"))
    if recorded is not None and keys is not None:
        recorded = {key: value for key, value in recorded.items() if key in set(keys)}
    problems, notes = [], []
    if recorded is None:
        notes.append(f"no audit checkpoint at {path} yet: written now from this trail; keep it where the "
                     "database's users cannot change it")
        if heads:
            publish(heads, path)
        return problems, notes
    for key in sorted(set(heads) | set(recorded)):
        known = recorded.get(key)
        if known is None:
            if _keyed_from(key) is not None:
                problems.append((key, f"the chain has keyed events but the checkpoint {path} does not know it: "
                                      "the checkpoint was replaced, or the chain forged"))
            else:
                notes.append(f"chain {key} was not in the checkpoint yet: adopted")
            continue
        if key not in heads:
            problems.append((key, f"the checkpoint records #{known['seq']} but the database has no such chain: "
                                  "its events were removed"))
            continue
        stored = _event_hash(key, known["seq"])
        if heads[key] < known["seq"] or stored is None:
            problems.append((key, f"the chain ends at #{heads[key]} but the checkpoint records #{known['seq']}: "
                                  "the latest events were removed and the head rewound"))
        elif stored != known["hash"]:
            problems.append((key, f"event #{known['seq']} does not carry the hash the checkpoint recorded: the "
                                  "chain was rewritten"))
        keyed_from = known.get("keyed_from")
        if keyed_from is not None and AuditEvent.objects.filter(chain=key, seq__gte=keyed_from,
                                                                key_id__isnull=True).exists():
            problems.append((key, f"events from #{keyed_from} on were keyed, but some now carry no key: the chain "
                                  "was rewritten with plain hashes"))
    if not problems:
        publish(heads, path)
    return problems, notes
