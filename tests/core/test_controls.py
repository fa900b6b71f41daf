"""Ids of other catalogs read as Rev 2 requirements: SP 800-53 through Appendix D, Rev 3, CMMC."""

import csv
from pathlib import Path

import pytest

from punchlist.core import controls
from punchlist.core.catalog import load_catalog
from punchlist.core.controls import CMMC, REV2, REV3, SP800_53, normalize_800_53, read_control

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / controls.APPENDIX_D


@pytest.mark.parametrize("written, expected", [
    ("AC-2", "AC-2"), ("ac-2", "AC-2"), ("AC-02", "AC-2"), ("AC-2(4)", "AC-2(4)"), ("AC-2 (4)", "AC-2(4)"),
    ("ac-2.4", "AC-2(4)"), ("AC-2(04)", "AC-2(4)"), ("ac-2_smt.a", "AC-2"), ("sc-7.5_smt", "SC-7(5)"),
    ("NIST SP 800-53 Rev 4: IA-2(1)", "IA-2(1)"), (" si-2 ", "SI-2"),
    ("3.1.1", None), ("XY-1", None), ("AC-", None), ("", None), ("AC-2(4", None),
])
def test_800_53_ids_are_written_the_standard_way(written, expected):
    assert normalize_800_53(written) == expected


def test_the_shipped_appendix_d_is_the_reference_table():
    if not REFERENCE.exists():
        pytest.skip(f"{REFERENCE} is absent")
    from importlib import resources

    shipped = resources.files("punchlist.core").joinpath("data", controls.APPENDIX_D).read_text("utf-8")
    assert shipped == REFERENCE.read_text("utf-8")


def test_every_appendix_d_pair_leads_back_to_its_requirement():
    table = controls.appendix_d()
    rows = list(csv.DictReader(
        __import__("importlib").resources.files("punchlist.core").joinpath("data", controls.APPENDIX_D)
        .read_text("utf-8").splitlines()))
    assert len(rows) == len(load_catalog()) == 110
    pairs = [(row["requirement"], c) for row in rows for c in row["nist_800_53_rev4"].split(";") if c]
    assert len(pairs) == 200 and len(table) == 127  # SOURCES.md F.2: 200 pairs, 127 distinct ids
    for requirement, control in pairs:
        reading = read_control(control)
        assert reading.scheme == SP800_53 and requirement in reading.requirements and not reading.exact


def test_rev2_and_cmmc_ids_are_exact():
    assert read_control("3.1.1") == controls.ControlReading("3.1.1", REV2, "3.1.1", ("3.1.1",), True, "")
    cmmc = read_control("AC.L2-3.1.1")
    assert (cmmc.scheme, cmmc.requirements, cmmc.exact) == (CMMC, ("3.1.1",), True)


def test_a_control_leads_to_its_requirements_to_be_confirmed():
    reading = read_control("IA-2(1)")
    assert reading.requirements == ("3.5.3",) and not reading.exact and "confirm" in reading.note
    assert read_control("SI-2").requirements == ("3.14.1", "3.14.2", "3.14.3")


def test_an_enhancement_not_in_the_table_goes_by_its_base_control_and_says_so():
    reading = read_control("ac-2.4")
    assert reading.control == "AC-2(4)" and reading.requirements == ("3.1.1", "3.1.2")
    assert "base control AC-2" in reading.note


def test_a_control_without_a_counterpart_leads_to_none_and_says_the_item_needs_one():
    reading = read_control("PE-13")
    assert reading.recognised and reading.requirements == () and "needs a requirement" in reading.note


def test_rev3_ids_are_named_and_lead_to_the_same_number_to_be_confirmed():
    reading = read_control("03.01.01")
    assert (reading.scheme, reading.control, reading.requirements, reading.exact) == (REV3, "03.01.01",
                                                                                       ("3.1.1",), False)
    assert "Rev 3" in reading.note
    new_family = read_control("03.16.01")  # Rev 3's supply chain family has no Rev 2 counterpart
    assert new_family.scheme == REV3 and new_family.requirements == ()


def test_anything_else_is_said_to_be_no_known_id():
    reading = read_control("Firewall")
    assert not reading.recognised and reading.requirements == () and "'Firewall'" in reading.note
