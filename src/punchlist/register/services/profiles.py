"""Import mapping profiles: a column mapping saved per organization under a name, so that next month's file
of the same layout imports without correcting the preview again.

Whoever may import (``register.add_item``) may save, replace and delete them; each write is audited.
"""

from __future__ import annotations

from django.utils import timezone

from punchlist.audit import chain
from punchlist.errors import InputError
from punchlist.interchange import ColumnMapping
from punchlist.orgs.permissions import require

from ..errors import InvalidChange
from ..models import ImportProfile
from ._common import writing

NAME_LENGTH = ImportProfile._meta.get_field("name").max_length
SHEET_LENGTH = ImportProfile._meta.get_field("sheet").max_length
HEADER_LENGTH = 200


def _snapshot(profile: ImportProfile) -> dict:
    return chain.jsonable({"name": profile.name, "columns": profile.columns, "header_row": profile.header_row,
                           "sheet": profile.sheet})


def _checked(mapping) -> ColumnMapping:
    """The mapping as a ColumnMapping (a dict such as ``ColumnMapping.as_json`` makes is taken too)."""
    if isinstance(mapping, dict):
        try:
            mapping = ColumnMapping(mapping.get("columns") or {}, header_row=mapping.get("header_row"),
                                    sheet=mapping.get("sheet"))
        except InputError as exc:
            raise InvalidChange(exc.message) from None
    if not isinstance(mapping, ColumnMapping):
        raise InvalidChange("a profile holds a column mapping")
    for name, target in mapping.columns.items():
        if isinstance(target, str) and len(target) > HEADER_LENGTH:
            raise InvalidChange(f"{name}: a header of {len(target)} characters; a profile keeps at most "
                                f"{HEADER_LENGTH}")
    if mapping.sheet is not None and len(mapping.sheet) > SHEET_LENGTH:
        raise InvalidChange(f"a sheet name of {len(mapping.sheet)} characters; a profile keeps at most {SHEET_LENGTH}")
    if mapping.header_row is not None and mapping.header_row > 32767:
        raise InvalidChange(f"row {mapping.header_row} cannot be a header row")
    if mapping.columns.get("requirements", "") is None:
        raise InvalidChange("the requirement column cannot be left out: without it no row is an item")
    return mapping


def save_profile(actor, organization, name: str, mapping) -> ImportProfile:
    """Save ``mapping`` (a ColumnMapping) as the organization's profile ``name``, replacing one of that name."""
    require(actor, "register.add_item", organization)
    name = " ".join((name or "").split())
    if not name:
        raise InvalidChange("a profile needs a name")
    if len(name) > NAME_LENGTH:
        raise InvalidChange(f"a profile's name has at most {NAME_LENGTH} characters")
    mapping = _checked(mapping)
    values = {"columns": dict(mapping.columns), "header_row": mapping.header_row, "sheet": mapping.sheet or ""}
    with writing(organization) as head:
        profile = (ImportProfile.objects.for_organization(organization).select_for_update()
                   .filter(name__iexact=name).first())
        if profile is None:
            profile = ImportProfile.objects.create(organization=organization, name=name, created_by=actor, **values)
            chain.record(organization=organization, actor=actor, action="create_import_profile", obj=profile,
                         head=head, after=_snapshot(profile))
            return profile
        before = _snapshot(profile)
        for field, value in values.items():
            setattr(profile, field, value)
        profile.name = name
        profile.updated_at = timezone.now()
        profile.save(update_fields=["name", "columns", "header_row", "sheet", "updated_at"])
        after = _snapshot(profile)
        changed = [k for k in after if after[k] != before[k]]
        if changed:
            chain.record(organization=organization, actor=actor, action="update_import_profile", obj=profile,
                         head=head, before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
        return profile


def delete_profile(actor, profile: ImportProfile) -> None:
    organization = profile.organization
    require(actor, "register.add_item", organization)
    with writing(organization) as head:
        before = _snapshot(profile)
        chain.record(organization=organization, actor=actor, action="delete_import_profile", obj=profile,
                     head=head, before=before)
        profile.delete()


def profile_mapping(profile: ImportProfile) -> ColumnMapping:
    """The profile's mapping, to read a file with."""
    return ColumnMapping(profile.columns, header_row=profile.header_row, sheet=profile.sheet or None)
