"""Each real scanner report and checklist in the shared fixtures imported through `punchlist import`: the
findings it holds, the items made (one per weakness, its hosts as assets) and their requirements."""

from datetime import date

import pytest

from punchlist.register.models import Kind, PoamItem, Status
from punchlist.scans.models import FindingState, Scan, ScanFinding
from punchlist.testing import run_register_command as punchlist

VULNERABILITY = ["3.14.1", "3.11.2"]
# 3.14.1 and 3.11.2 are worth 5 points each and may never be on a POA&M (R-POAM-3): a scanner's weakness is
# remediation in the operational plan of action (OPA-); a STIG rule mapped to 1-point requirements is not.
OPERATIONAL, POAM = Kind.OPERATIONAL_PLAN, Kind.ASSESSMENT_POAM
# file, findings (weakness on host), items, hosts, requirements of every item, informational left out, kind
FIXTURES = [
    ("scanners/defectdojo_nessus_with_cvssv3.nessus", 25, 25, 1, {tuple(VULNERABILITY)}, 23, OPERATIONAL),
    ("scanners/mitre-saf_sample.nessus", 9, 8, 3, {tuple(VULNERABILITY)}, 140, OPERATIONAL),
    ("scanners/defectdojo_nessus_many_vuln.csv", 4, 4, 2, {tuple(VULNERABILITY)}, 0, OPERATIONAL),
    ("scanners/defectdojo_many_vuln.xml", 40, 40, 1, {tuple(VULNERABILITY)}, 0, OPERATIONAL),
    ("scanners/mitre-saf_rhel7.ckl", 3, 3, 1, {("3.3.8",), ("3.1.9",)}, 0, POAM),
]


def _import(team, path, *options):
    return punchlist("import", str(path), "--org", team.org.slug, "--user", team.coordinator.username, *options)


def _requirements(item):
    return tuple(link.requirement for link in item.requirement_links.order_by("position"))


@pytest.mark.django_db
@pytest.mark.parametrize("name, findings, items, hosts, requirements, informational, kind", FIXTURES,
                         ids=[f[0].split("/")[1] for f in FIXTURES])
def test_each_fixture_imports_one_item_per_weakness(team, shared_fixture, capsys, name, findings, items, hosts,
                                                    requirements, informational, kind):
    assert _import(team, shared_fixture(name), "--accept-derived") == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert f"{items} item(s) imported" in out
    assert f"{findings} finding(s) on {hosts} host(s)" in out
    if informational:
        assert f"{informational} informational result(s) left out" in out
    made = list(PoamItem.objects.for_organization(team.org).prefetch_related("requirement_links"))
    assert len(made) == items
    assert {_requirements(item) for item in made} == requirements
    assert all(item.status == Status.OPEN and item.kind == kind for item in made)
    assert ScanFinding.objects.for_organization(team.org).filter(state=FindingState.OPEN).count() == findings
    # every finding's host is among its item's assets, one item per weakness
    for finding in ScanFinding.objects.for_organization(team.org).select_related("item"):
        assert finding.item.external_id == finding.key and finding.host in finding.item.assets.splitlines()
    assert Scan.objects.for_organization(team.org).count() == 1


@pytest.mark.django_db
def test_a_nessus_item_has_severity_from_cvss_v3_and_a_due_date_from_the_policy(team, shared_fixture, capsys):
    assert _import(team, shared_fixture("scanners/mitre-saf_sample.nessus")) == 0
    items = {item.external_id: item for item in PoamItem.objects.for_organization(team.org)}
    java = items["nessus:156888"]  # CVSS v3 5.3 on 10.0.0.3, scanned 22 Mar 2022
    assert (java.severity, java.start_date, java.scheduled_completion) == ("moderate", date(2022, 3, 22),
                                                                           date(2022, 6, 20))  # + 90 days
    assert java.source_identifier == "Nessus plugin 156888" and "CVE-2022-21349" in java.cves
    assert "CVSS v3 5.3" in java.weakness
    several = [item for item in items.values() if len(item.assets.splitlines()) > 1]
    assert len(several) == 1  # the one weakness found on two hosts is one item, not two


@pytest.mark.django_db
def test_informational_results_become_items_only_when_asked(team, shared_fixture, capsys):
    assert _import(team, shared_fixture("scanners/defectdojo_nessus_with_cvssv3.nessus"),
                   "--include-informational") == 0
    out = capsys.readouterr().out
    assert "23 informational result(s) included" in out
    made = PoamItem.objects.for_organization(team.org)
    assert made.count() == 48  # 25 weaknesses + 23 informational plugins (one host)
    assert made.filter(severity="").count() == 23


@pytest.mark.django_db
def test_a_stig_checklist_needs_its_derived_requirements_confirmed(team, shared_fixture, capsys):
    path = shared_fixture("scanners/mitre-saf_rhel7.ckl")
    assert _import(team, path, "--check") == 0
    out = capsys.readouterr().out
    assert "NIST SP 800-53 AC-8 -> 3.1.9" in out and "would import: 3 item(s) imported" in out
    assert "1 rule(s) not reviewed" in out
    assert _import(team, path) == 2
    assert "nothing was imported: take these with --accept-derived" in capsys.readouterr().err
    assert not PoamItem.objects.for_organization(team.org).exists()
    assert _import(team, path, "--derive", "AU-9=3.3.1", "--derive", "AU-9(3)=3.3.8", "--derive", "AC-8=3.1.9") == 0
    audit = PoamItem.objects.for_organization(team.org).get(external_id="stig:V-71849")
    assert _requirements(audit) == ("3.3.1", "3.3.8")
    assert (audit.severity, audit.source_identifier) == ("high", "STIG V-71849 (SV-86473r2_rule)")  # CAT I
    assert "CAT I" in audit.weakness and "CCI-001494" in audit.weakness


def _findings_command(*argv: str) -> int:
    import argparse

    from punchlist.scans.cli import add_commands

    parser = argparse.ArgumentParser(prog="punchlist")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.run(args)


@pytest.mark.django_db
def test_findings_are_listed_and_decided_on_the_command_line(team, shared_fixture, capsys):
    assert _import(team, shared_fixture("scanners/mitre-saf_sample.nessus")) == 0
    capsys.readouterr()
    item = next(i for i in PoamItem.objects.for_organization(team.org) if len(i.assets.splitlines()) > 1)
    who = ("--org", team.org.slug, "--user", team.coordinator.username)
    assert _findings_command("findings", item.identifier, *who) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 2 and all("open; first seen 22 Mar 2022" in line for line in listed)
    host = listed[0].split(":")[0]
    assert _findings_command("findings", item.identifier, *who, "--false-positive", "--host", host) == 2
    assert "needs a reason" in capsys.readouterr().err
    assert _findings_command("findings", item.identifier, *who, "--operational", "--host", host,
                             "--reason", "the appliance's vendor ships this version") == 0
    out = capsys.readouterr().out
    assert "1 finding(s) recorded as operational requirement" in out
    assert f"{host}: operational requirement;" in out and "decided by" in out and "vendor ships" in out
    assert _findings_command("findings", item.identifier, "--org", team.org.slug, "--user", team.owner.username,
                             "--open", "--reason", "no") == 2  # an owner does not decide on findings
    assert ScanFinding.objects.get(item=item, host=host).state == FindingState.OPERATIONAL


@pytest.mark.django_db
def test_a_malformed_report_on_the_command_line_is_one_error_and_nothing_written(team, tmp_path, capsys):
    bad = tmp_path / "bad.ckl"
    bad.write_text("<CHECKLIST><ASSET><HOST_NAME>h</HOST_NAME></ASSET><STIGS><iSTIG><VULN><STATUS>Open</STATUS>"
                   "</VULN></iSTIG></STIGS></CHECKLIST>")
    assert _import(team, bad) == 2
    err = capsys.readouterr().err
    assert err.strip() == ("bad.ckl, column '/CHECKLIST/STIGS/iSTIG/VULN[1]': not a readable STIG checklist: a rule "
                           "has no Vuln ID")
    assert not PoamItem.objects.for_organization(team.org).exists() and not Scan.objects.exists()
