"""Names as written in an imported file, resolved to members of the organization (or planned as new people).

A file of 50,000 rows names a few dozen people: each distinct (name, column) is resolved once.
"""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.utils.text import slugify

from punchlist.audit import chain
from punchlist.errors import InputError
from punchlist.orgs.models import Membership, Role

from ..services._common import PERSON_ROLES

_NAME_CUT = re.compile(r"\s*(?:,|\(|\s-\s|/|;).*$")


def _key(name: str) -> str:
    return " ".join(name.lower().split())


def _short(name: str) -> str:
    """ "Marcus Lee, IT Operations Lead" -> "marcus lee": the person, without the title."""
    return _key(_NAME_CUT.sub("", name))


class People:
    def __init__(self, organization, create: bool):
        self.create = create
        self.known: dict[str, tuple[object, Role]] = {}
        for membership in Membership.objects.filter(organization=organization).select_related("user"):
            user, role = membership.user, Role(membership.role)
            for key in (user.username, user.email, user.get_full_name()):
                if key and key.strip():
                    self.known.setdefault(_key(key), (user, role))
        self.new: dict[str, dict] = {}  # short name -> {"name", "approver"}
        self._resolved: dict[tuple[str, str], tuple[object, str | None]] = {}
        self.created: dict[str, object] = {}  # short name -> the user made for them
        self._approvers: set[str] = set()  # short names of those made approvers

    def member(self, written: str) -> int | None:
        """The primary key of the member ``written`` names, whatever their role; None for anyone else."""
        for key in (_key(written or ""), _short(written or "")):
            if key in self.known:
                return self.known[key][0].pk
        return None

    def resolve(self, written: str, column: str, row, file, errors) -> int | str | None:
        """The primary key of the member ``written`` names, the short name of a person to create (a str), or
        None; a problem is added to ``errors`` with the row and column."""
        resolved = self._resolved.get((written, column))
        if resolved is None:
            text = (written or "").strip()
            resolved = self._resolve(text, column) if text else (None, None)
            self._resolved[(written, column)] = resolved
        if resolved[1] is not None:
            errors.append(InputError(resolved[1], file=file, row=row, column=column))
        return resolved[0]

    def _resolve(self, written: str, column: str) -> tuple[int | str | None, str | None]:
        for key in (_key(written), _short(written)):
            if key in self.known:
                user, role = self.known[key]
                if role not in PERSON_ROLES[column]:
                    job = ("an approval authority must be an approver or an administrator"
                           if column == "approval_authority" else
                           f"the {column.replace('_', ' ')} must be a member who works items, not a "
                           f"{role.label.lower()}")
                    return user.pk, f"{written!r} is a member with the role {role.label}; {job}"
                return user.pk, None
        short = _short(written)
        if not self.create or not short:
            return None, (f"{written!r} is not a member of the organization; add them first, or import with "
                          "people creation on")
        plan = self.new.setdefault(short, {"name": _NAME_CUT.sub("", written).strip(), "approver": False})
        plan["approver"] |= column == "approval_authority"
        return short, None  # replaced by the created user at write time

    def create_users(self, actor, organization, head) -> dict[str, object]:
        """The planned people, as members without sign-in (approvers where they approve), audited; those of
        an earlier call are kept, and one created as an owner whom later rows name as approval authority
        becomes an approver (an import checks and writes its rows a batch at a time)."""
        User = get_user_model()
        created = self.created
        pending = [short for short in self.new if short not in created]
        raised = [short for short in self.new if short in created and self.new[short]["approver"]
                  and short not in self._approvers]
        taken = set(User.objects.filter(username__in=[slugify(self.new[s]["name"]) or "person" for s in pending])
                    .values_list("username", flat=True)) if pending else set()
        for short in pending:
            plan = self.new[short]
            base = slugify(plan["name"]) or "person"
            username, n = base, 1
            while username in taken or (n > 1 and User.objects.filter(username=username).exists()):
                n += 1
                username = f"{base}-{n}"
            taken.add(username)
            first, _, last = plan["name"].partition(" ")
            user = User.objects.create_user(username=username, password=None, first_name=first[:150],
                                            last_name=last[:150], is_active=False)
            role = Role.APPROVER if plan["approver"] else Role.OWNER
            membership = Membership.objects.create(organization=organization, user=user, role=role)
            chain.record(organization=organization, actor=actor, action="add_member", obj=membership, head=head,
                         after={"user": user.pk, "username": username, "role": role, "sign_in": False},
                         reason="named in an imported POA&M")
            created[short] = user
            if role == Role.APPROVER:
                self._approvers.add(short)
        for short in raised:
            membership = Membership.objects.get(organization=organization, user=created[short])
            Membership.objects.filter(pk=membership.pk).update(role=Role.APPROVER, version=membership.version + 1)
            chain.record(organization=organization, actor=actor, action="change_role", obj=membership, head=head,
                         before={"role": membership.role, "version": membership.version},
                         after={"role": Role.APPROVER, "version": membership.version + 1},
                         reason="named as approval authority in an imported POA&M")
            self._approvers.add(short)
        return created
