"""The shipped catalog (R-STD-1, R-STD-2) and its tolerant look-up."""

import pytest

from punchlist.core.catalog import PoamEligibility, UnknownRequirement, load_catalog

catalog = load_catalog()


def test_catalog_has_the_110_requirements_in_14_families():
    assert len(catalog) == 110
    assert len(catalog.families) == 14
    assert catalog.requirements[0].id == "3.1.1"
    assert catalog.requirements[-1].id == "3.14.7"


def test_weights_sum_to_313_with_3_12_4_valueless():
    # R-SCORE-1, R-SCORE-5: 44 x 5 + 14 x 3 + 51 x 1 = 313; 3.12.4 has no value (R-SCORE-3).
    weights = [r.weight for r in catalog]
    assert weights.count(5) == 44
    assert weights.count(3) == 14
    assert weights.count(1) == 51
    assert catalog.get("3.12.4").weight is None
    assert sum(w or 0 for w in weights) == 313


def test_eligibility_counts_match_r_poam_4():
    counts = {e: 0 for e in PoamEligibility}
    for requirement in catalog:
        counts[requirement.poam_eligibility] += 1
    assert counts == {PoamEligibility.YES: 46, PoamEligibility.CONDITIONAL: 1, PoamEligibility.NO: 63}
    assert catalog.get("3.13.11").poam_eligibility is PoamEligibility.CONDITIONAL


def test_level1_maps_17_requirements_to_15_far_practices():
    # R-STD-2: FAR b.1.ix is split over 3.10.3, 3.10.4 and 3.10.5.
    assert len(catalog.level1) == 17
    assert len({r.level1_id for r in catalog.level1}) == 15
    assert catalog.get("3.10.4").level1_id == "PE.L1-b.1.ix"


def test_objectives_total_320():
    # R-STD-1: 320 objectives in SP 800-171A.
    assert sum(r.objectives for r in catalog) == 320


@pytest.mark.parametrize("typed", [
    "3.1.1", "AC.L2-3.1.1", "ac.l2-3.1.1", " AC.L2 - 3.1.1 ", "3.1.1[a]", "3.1.1 [b]", "AC.L2-3.1.1[a]",
    "NIST SP 800-171 3.1.1", "3.01.01", "AC.L1-3.1.1",
])
def test_lookup_is_tolerant_of_how_people_type_ids(typed):
    assert catalog.get(typed).id == "3.1.1"


@pytest.mark.parametrize("typed", ["3.1.23", "AC-2", "3.15.1", "IA.L2-3.1.1", "", "3.1", "AC.L2-3.1.1x"])
def test_lookup_refuses_what_is_not_a_requirement(typed):
    assert catalog.find(typed) is None
    with pytest.raises(UnknownRequirement, match="not a NIST SP 800-171 Rev 2 requirement"):
        catalog.get(typed)


def test_requirement_carries_its_cmmc_facts():
    mfa = catalog.get("IA.L2-3.5.3")
    assert mfa.cmmc_id == "IA.L2-3.5.3"
    assert mfa.family == "IA" and mfa.family_name == "Identification and Authentication"
    assert mfa.title == "Multifactor Authentication"
    assert mfa.weight == 5 and mfa.has_partial_credit
    assert mfa.objectives == 4
    assert not catalog.get("3.1.1").has_partial_credit
