"""Scanners' reports and STIG checklists as files: told apart by content, read through defusedxml, and every
malformed one refused with one error naming the file and the place, never a traceback."""

import json
from datetime import date

import pytest

from punchlist.core.cci import read_cci
from punchlist.errors import InputError
from punchlist.interchange import inspect_poam_file, read_poam_file
from punchlist.interchange.guards import check_upload
from punchlist.interchange.scanners import read_scan, to_poam
from punchlist.testing.scans import nessus_xml

CKL = """<?xml version="1.0"?><CHECKLIST><ASSET><HOST_NAME>{host}</HOST_NAME><HOST_IP>10.0.0.9</HOST_IP></ASSET>
<STIGS><iSTIG>{vulns}</iSTIG></STIGS></CHECKLIST>"""
VULN = """<VULN><STIG_DATA><VULN_ATTRIBUTE>Vuln_Num</VULN_ATTRIBUTE><ATTRIBUTE_DATA>{vuln}</ATTRIBUTE_DATA></STIG_DATA>
<STIG_DATA><VULN_ATTRIBUTE>Severity</VULN_ATTRIBUTE><ATTRIBUTE_DATA>{severity}</ATTRIBUTE_DATA></STIG_DATA>
<STIG_DATA><VULN_ATTRIBUTE>Rule_Title</VULN_ATTRIBUTE><ATTRIBUTE_DATA>A rule</ATTRIBUTE_DATA></STIG_DATA>
{ccis}<STATUS>{status}</STATUS></VULN>"""
CCI = "<STIG_DATA><VULN_ATTRIBUTE>CCI_REF</VULN_ATTRIBUTE><ATTRIBUTE_DATA>{}</ATTRIBUTE_DATA></STIG_DATA>"


def _ckl(tmp_path, *vulns, host="ws-01", name="box.ckl"):
    path = tmp_path / name
    path.write_text(CKL.format(host=host, vulns="".join(
        VULN.format(vuln=v, severity=s, status=st, ccis="".join(CCI.format(c) for c in ccis))
        for v, s, st, ccis in vulns)))
    return path


def _cklb(tmp_path, rules, name="box.cklb"):
    path = tmp_path / name
    path.write_text(json.dumps({"title": "Windows", "target_data": {"host_name": "ws-02"},
                                "stigs": [{"stig_name": "Windows 11", "rules": rules}]}))
    return path


def test_each_format_is_told_apart_by_content(tmp_path, shared_fixture):
    assert check_upload(shared_fixture("scanners/mitre-saf_sample.nessus")) == "NESSUS"
    assert check_upload(shared_fixture("scanners/defectdojo_nessus_many_vuln.csv")) == "NESSUS_CSV"
    assert check_upload(shared_fixture("scanners/defectdojo_many_vuln.xml")) == "OPENVAS"
    assert check_upload(shared_fixture("scanners/mitre-saf_rhel7.ckl")) == "CKL"
    assert check_upload(_cklb(tmp_path, [])) == "CKLB"
    renamed = tmp_path / "export.xml"
    renamed.write_bytes(shared_fixture("scanners/mitre-saf_sample.nessus").read_bytes())
    assert check_upload(renamed) == "NESSUS"
    inspection = inspect_poam_file(renamed)
    assert inspection.is_scan and not inspection.has_columns


def test_a_poam_of_scanner_findings_with_a_requirement_column_is_a_poam(tmp_path):
    path = tmp_path / "tracker.csv"
    path.write_text("Plugin ID,Host,Risk,Control,Weakness\n97833,10.0.0.5,High,3.14.1,SMB flaw\n")
    assert check_upload(path) == "TEXT"
    [item] = read_poam_file(path).items
    assert item.requirements == ["3.14.1"]


def test_a_scan_read_outside_the_register_is_items_first_seen_in_it(shared_fixture):
    poam = read_poam_file(shared_fixture("scanners/defectdojo_many_vuln.xml"))
    assert len(poam.items) == 40 and {tuple(i.requirements) for i in poam.items} == {("3.14.1", "3.11.2")}
    assert {i.start_date for i in poam.items} == {date(2023, 9, 26)}
    rexec = next(i for i in poam.items if i.id == "openvas:1.3.6.1.4.1.25623.1.0.100111")
    assert (rexec.severity.value, rexec.cves, rexec.assets) == ("critical", "CVE-1999-0618", "192.168.1.1001")
    assert "Disable the rexec service" in rexec.remediation


def test_a_checklist_rule_is_a_finding_only_when_open(tmp_path):
    path = _ckl(tmp_path, ("V-1", "high", "Open", ["CCI-000366"]), ("V-2", "medium", "NotAFinding", []),
                ("V-3", "low", "Not_Reviewed", []), ("V-4", "low", "Open", []))
    report = read_scan(path)
    assert report.found == [("stig:V-1", "ws-01"), ("stig:V-4", "ws-01")]
    assert ("stig:V-2", "ws-01") in report.passed and ("stig:V-3", "ws-01") in report.unreviewed
    items = {i.id: i for i in to_poam(report).items}
    assert items["stig:V-1"].requirements == ["CM-6"] and items["stig:V-1"].severity.value == "high"
    assert items["stig:V-4"].requirements == ["CM-6"]  # no CCI: a configuration setting
    assert "no CCI given" in items["stig:V-4"].weakness


def test_a_checklist_severity_override_is_taken_and_said(tmp_path):
    path = _ckl(tmp_path, ("V-1", "high", "Open", ["CCI-000366"]))
    path.write_text(path.read_text().replace("<STATUS>Open</STATUS>", "<STATUS>Open</STATUS><SEVERITY_OVERRIDE>low"
                                             "</SEVERITY_OVERRIDE><SEVERITY_JUSTIFICATION>No network access"
                                             "</SEVERITY_JUSTIFICATION>"))
    [item] = to_poam(read_scan(path)).items
    assert item.severity.value == "low" and "CAT III, overridden from CAT I: No network access" in item.weakness


def test_a_cklb_checklist_reads_as_its_ckl_would(tmp_path):
    report = read_scan(_cklb(tmp_path, [
        {"group_id": "V-253256", "rule_id": "SV-253256r1_rule", "rule_version": "WN11-00-000005",
         "rule_title": "Domain-joined systems must use a supported OS", "severity": "medium", "status": "open",
         "ccis": ["CCI-000366"], "discussion": "Unsupported.", "fix_text": "Upgrade."},
        {"group_id": "V-253257", "severity": "low", "status": "not_a_finding", "ccis": []}]))
    [item] = to_poam(report).items
    assert (item.id, item.assets, item.severity.value, item.requirements) == (
        "stig:V-253256", "ws-02", "moderate", ["CM-6"])
    assert item.title == "WN11-00-000005: Domain-joined systems must use a supported OS"


def test_a_cci_that_names_only_a_rev5_control_is_read_through_its_base_control():
    assert read_cci("CCI-000366").controls == ("CM-6",) and read_cci("CCI-000366").note == ""
    only_rev5 = read_cci("CCI-003601")
    assert only_rev5.controls == ("AC-1",) and "names only the SP 800-53 Rev 5 control" in only_rev5.note


MALFORMED = [
    ("cut.nessus", '<?xml version="1.0"?>\n<NessusClientData_v2>\n<Report name="x">\n<ReportHost name="h1">',
     "cut.nessus: not a readable Nessus v2 XML report: the XML is not well-formed at line 4"),
    ("laughs.nessus", '<?xml version="1.0"?>\n<!DOCTYPE l [<!ENTITY l "lol">]>\n<NessusClientData_v2>&l;'
                      '</NessusClientData_v2>',
     "laughs.nessus: not a readable Nessus v2 XML report: it declares a DTD"),
    ("noplugin.nessus", '<NessusClientData_v2><Report name="x"><ReportHost name="h1"><ReportItem severity="2"/>'
                        '</ReportHost></Report></NessusClientData_v2>',
     "noplugin.nessus, column '/NessusClientData_v2/Report/ReportHost[1] (h1)': not a readable Nessus v2 XML "
     "report: a ReportItem of host 'h1' has no pluginID"),
    ("nohost.nessus", "<NessusClientData_v2><Report/></NessusClientData_v2>", "holds no ReportHost"),
    ("other.nessus", "<inventory/>", "other.nessus: it is an XML document, not a spreadsheet this reads (nor an "
                                     "OSCAL POA&M, a Nessus or OpenVAS report or a STIG checklist)"),
    ("plugin.csv", "Plugin ID,Host,Risk,Name\n123,h1,High,x\nabc,h2,High,y\n",
     "plugin.csv, row 3, column 'Plugin ID': the plugin id 'abc' is not a number"),
    ("risk.csv", "Plugin ID,Host,Risk,Name\n123,h1,Severe,x\n",
     "risk.csv, row 2, column 'Risk': 'Severe' is not a Nessus risk"),
    ("report.xml", '<report><report><results><result id="1"><host></host><nvt oid="1.2"/></result></results>'
                   '</report></report>', "report.xml, column '/report/report/results/result[1]': not a readable "
                                         "OpenVAS / Greenbone XML report: result 1 has no host"),
    ("status.ckl", CKL.format(host="h", vulns=VULN.format(vuln="V-1", severity="high", status="Maybe", ccis="")),
     "status.ckl, column '/CHECKLIST/STIGS/iSTIG/VULN[1]': rule V-1: 'Maybe' is not a checklist status"),
    ("severity.ckl", CKL.format(host="h", vulns=VULN.format(vuln="V-1", severity="urgent", status="Open", ccis="")),
     "rule V-1: 'urgent' is not a STIG severity"),
    ("rules.cklb", '{"stigs": [{"rules": 3}], "target_data": {}}',
     "rules.cklb, column '/stigs/0': not a STIG Viewer checklist (.cklb): /stigs/0 has no 'rules' list"),
    ("cut.cklb", '{"stigs": [', "cut.cklb, row 1: not a STIG Viewer checklist (.cklb): line 1, column 12"),
]


@pytest.mark.parametrize("name, content, said", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_a_malformed_file_is_one_error_naming_the_file_and_place(tmp_path, name, content, said):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(InputError) as refused:
        read_scan(path, label=name)
    assert said in str(refused.value)


def test_a_large_report_is_read_a_host_at_a_time(tmp_path):
    hosts = {f"10.0.{n // 250}.{n % 250}": [1000 + n % 7, 2000 + n % 3] for n in range(600)}
    report = read_scan(nessus_xml(tmp_path / "big.nessus", hosts, scanned=date(2026, 11, 2), text="x" * 500))
    assert len(report.hosts) == 600 and len(report.found) == 1200 and len(report.weaknesses) == 10


def test_a_host_name_longer_than_the_register_keeps_is_refused(tmp_path):
    path = nessus_xml(tmp_path / "long.nessus", {"h" * 300: [1]}, scanned=date(2026, 11, 2))
    with pytest.raises(InputError, match="a host is named in 300 characters"):
        read_scan(path)


def test_nessus_own_csv_export_repeats_a_finding_per_cve_and_is_one_finding(tmp_path):
    path = tmp_path / "nessus.csv"
    path.write_text(
        "Plugin ID,CVE,CVSS v2.0 Base Score,CVSS v3.0 Base Score,Risk,Host,Protocol,Port,Name,Synopsis,Description,"
        "Solution,See Also,Plugin Output\n"
        "97833,CVE-2017-0143,9.3,8.1,Critical,10.0.0.5,tcp,445,MS17-010,SMB flaw.,Remote code execution.,"
        "Apply MS17-010.,,smb output\n"
        "97833,CVE-2017-0144,9.3,8.1,Critical,10.0.0.5,tcp,445,MS17-010,SMB flaw.,Remote code execution.,"
        "Apply MS17-010.,,smb output\n"
        "19506,,,,None,10.0.0.5,tcp,0,Nessus Scan Information,Info.,Info.,n/a,,\n"
        "97833,CVE-2017-0143,9.3,8.1,Critical,10.0.0.6,tcp,445,MS17-010,SMB flaw.,Remote code execution.,"
        "Apply MS17-010.,,smb output\n")
    assert check_upload(path) == "NESSUS_CSV"
    report = read_scan(path)
    assert report.informational == 1 and list(report.hosts) == ["10.0.0.5", "10.0.0.6"]
    [item] = to_poam(report).items
    assert (item.id, item.assets, item.cves) == ("nessus:97833", "10.0.0.5\n10.0.0.6", "CVE-2017-0143, CVE-2017-0144")
    assert item.severity.value == "high" and "CVSS v3 8.1" in item.weakness  # v3 before Nessus's own "Critical"
    assert item.remediation == "Apply MS17-010."
