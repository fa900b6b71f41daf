"""Separation of duties on closure (3.1.4), on every path to a closed item: the approver neither owns the item
(primary or supporting), nor requested the closure, nor added the evidence it rests on."""

from dataclasses import replace
from datetime import date, timedelta

import pytest

from punchlist.core import records
from punchlist.errors import InputErrors
from punchlist.register import services
from punchlist.register.imports import import_poam
from punchlist.register.models import PoamItem, Status
from punchlist.register.services import PermissionDenied
from punchlist.register.services.evidence import link_evidence
from punchlist.register.services.separation import approval_conflicts
from punchlist.testing import make_item, run_register_command

TODAY = date.today()
FILE = "poam.xlsx"


def _still_waiting(item):
    item.refresh_from_db()
    assert item.status == Status.READY_FOR_VERIFICATION and item.verified_by is None


def test_an_admin_who_made_himself_approver_and_did_the_work_cannot_approve(team):
    """The attack as it was run: the administrator names himself approval authority of another's item, adds
    the evidence, requests closure and approves."""
    item = make_item(team)  # the owner's item, the approver's to approve
    services.update_item(team.admin, item, approval_authority=team.admin)
    services.change_status(team.admin, item, Status.IN_PROGRESS)
    services.add_evidence(team.admin, item, name="done.txt", content=b"trust me\n")
    services.request_closure(team.admin, item)
    with pytest.raises(PermissionDenied, match="acme-admin requested the closure of POAM-AC-001 and added "
                                               r"evidence the closure rests on \('done.txt'\)"):
        services.approve_closure(team.admin, item)
    with pytest.raises(PermissionDenied, match="may not approve its closure"):
        services.change_status(team.admin, item, Status.CLOSED)
    _still_waiting(item)
    assert not team.admin.has_perm("register.approve_closure", item)


def test_a_supporting_owner_who_is_the_approval_authority_cannot_approve(team):
    item = make_item(team, supporting_owner=team.approver, approval_authority=team.approver)
    services.change_status(team.owner, item, Status.IN_PROGRESS)
    services.add_evidence(team.owner, item, name="gpo.html", content=b"<html>5/15</html>")
    services.request_closure(team.owner, item)  # the work is the primary owner's; the authority supports it
    with pytest.raises(PermissionDenied, match="acme-approver is the supporting owner of POAM-AC-001"):
        services.approve_closure(team.approver, item)
    _still_waiting(item)


def test_the_approver_who_requested_the_closure_cannot_approve(team):
    item = make_item(team, approval_authority=team.admin)
    services.change_status(team.owner, item, Status.IN_PROGRESS)
    services.add_evidence(team.owner, item, name="gpo.html", content=b"<html>5/15</html>")
    services.request_closure(team.admin, item)  # an administrator may move any item forward
    assert approval_conflicts(item, team.admin) == ["requested the closure of POAM-AC-001"]
    with pytest.raises(PermissionDenied, match="requested the closure"):
        services.approve_closure(team.admin, item)
    _still_waiting(item)
    # Once the owner withdraws and puts it forward again, the administrator did none of the work.
    services.reject_closure(team.owner, item, reason="I put it forward myself")
    services.request_closure(team.owner, item)
    services.approve_closure(team.admin, item)
    assert item.status == Status.CLOSED and item.verified_by == team.admin


def test_the_approver_who_added_evidence_cannot_approve_even_through_a_link(team):
    item = make_item(team, approval_authority=team.admin)
    services.change_status(team.owner, item, Status.IN_PROGRESS)
    services.add_evidence(team.owner, item, name="gpo.html", content=b"<html>5/15</html>")
    other = make_item(team, title="Another item", approval_authority=team.approver)
    piece = services.add_evidence(team.admin, other, name="audit-export.csv", content=b"user,locked\n")
    link_evidence(team.admin, piece, items=[item])
    services.request_closure(team.owner, item)
    with pytest.raises(PermissionDenied, match=r"added evidence the closure rests on \('audit-export.csv'\)"):
        services.approve_closure(team.admin, item)
    _still_waiting(item)


def test_an_approver_who_did_none_of_the_work_approves(team):
    item = make_item(team, supporting_owner=team.owner2)
    services.change_status(team.owner, item, Status.IN_PROGRESS)
    services.add_evidence(team.owner2, item, name="gpo.html", content=b"<html>5/15</html>")
    services.request_closure(team.owner, item)
    assert approval_conflicts(item, team.approver) == []
    services.approve_closure(team.approver, item)
    assert item.status == Status.CLOSED


def _record(row, **fields):
    values = dict(id=f"V-{row}", requirements=["AC.L2-3.1.8"], title=f"Shared admin account {row}",
                  weakness="One admin account is shared by the IT team",
                  remediation="Named admin accounts; quarterly access review with the record kept",
                  primary_owner="Marcus Lee, IT Operations Lead", approval_authority="Priya Lee",
                  scheduled_completion=TODAY + timedelta(days=60), row=row)
    values.update(fields)
    return records.PoamItem(**values)


def test_a_re_import_cannot_close_an_item_whose_evidence_the_importing_approver_adds(team):
    poam = records.Poam([_record(2, approval_authority="Ada Acme Machining")])  # the admin
    import_poam(team.admin, team.org, poam, file=FILE)
    closed = replace(poam.items[0], status=records.ItemStatus.CLOSED, evidence="Entra PIM role report",
                     completion_date=TODAY)
    with pytest.raises(InputErrors) as refused:
        import_poam(team.admin, team.org, records.Poam([closed]), file=FILE)
    assert [(e.row, e.column) for e in refused.value.errors] == [(2, "status")]
    assert "acme-admin requested the closure of POAM-AC-001 and added evidence" in str(refused.value)
    assert PoamItem.objects.get(organization=team.org).status == Status.OPEN


@pytest.mark.parametrize("fields, why", [
    ({"approval_authority": ""}, "closed without an approval authority"),
    ({"supporting_owner": "Priya Lee"}, "'Priya Lee' is the supporting owner and may not approve"),
    ({"approval_authority": "Ada Acme Machining"}, "records this closure by importing it"),  # the importer
])
def test_a_new_item_imported_closed_names_an_approver_who_did_none_of_its_work(team, fields, why):
    row = _record(2, status=records.ItemStatus.CLOSED, evidence="Entra PIM role report", completion_date=TODAY,
                  **fields)
    with pytest.raises(InputErrors) as refused:
        import_poam(team.admin, team.org, records.Poam([row]), file=FILE)
    assert [(e.row, e.column) for e in refused.value.errors] == [(2, "approval_authority")]
    assert why in str(refused.value)
    assert not PoamItem.objects.filter(organization=team.org).exists()
    # An approver who did none of it: imported closed.
    import_poam(team.admin, team.org, records.Poam([_record(2, status=records.ItemStatus.CLOSED,
                                                            evidence="report", completion_date=TODAY)]))
    assert PoamItem.objects.get(organization=team.org).status == Status.CLOSED


def test_the_import_command_refuses_a_closure_by_the_importer(team, tmp_path, capsys):
    path = tmp_path / "closed.csv"
    path.write_text("POA&M ID,Control,Weakness,Remediation,Point of Contact,Approver,Scheduled Completion,Status,"
                    "Completion Date,Evidence\n"
                    "V-1,AC.L2-3.1.8,Accounts never lock,Set AD lockout by GPO,Marcus Lee,Ada Acme Machining,"
                    f"{TODAY + timedelta(days=30)},Closed,{TODAY},GPO report\n")
    assert run_register_command("import", str(path), "--org", team.org.slug, "--user", team.admin.username) == 2
    err = capsys.readouterr().err
    assert "closed.csv, row 2, column 'approval_authority'" in err and "records this closure" in err
    assert not PoamItem.objects.filter(organization=team.org).exists()
