"""SPRS scoring and Level 2 status, rule by rule (R-SCORE-*, R-POAM-*, R-FIND-*)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from punchlist.core.catalog import load_catalog
from punchlist.core.records import Determination, RequirementResult
from punchlist.core.scoring import CONDITIONAL_THRESHOLD, MIN_SCORE, Level2, score

catalog = load_catalog()
MET, NOT_MET, NA = Determination.MET, Determination.NOT_MET, Determination.NOT_APPLICABLE


def assessment(not_met=(), partial=(), na=(), unplanned=(), missing=()):
    """Every requirement MET except those named; `missing` ones are left out of the input."""
    results = []
    for requirement in catalog:
        rid = requirement.id
        if rid in missing:
            continue
        if rid in not_met or rid in partial:
            results.append(RequirementResult(rid, NOT_MET, partial=rid in partial, has_plan=rid not in unplanned))
        elif rid in na:
            results.append(RequirementResult(rid, NA))
        else:
            results.append(RequirementResult(rid, MET))
    return results


def test_r_score_1_all_met_is_110_and_final():
    report = score(assessment())
    assert report.score == 110
    assert report.level2 is Level2.FINAL
    assert report.not_met == [] and report.level1_met


def test_r_find_2_na_scores_as_met():
    report = score(assessment(na={"3.1.12", "3.1.16", "3.13.5"}))
    assert report.score == 110 and report.level2 is Level2.FINAL


def test_r_score_1_weights_are_subtracted():
    chosen = {"3.1.1", "3.1.8", "3.4.1"}
    expected = 110 - sum(catalog.get(r).weight for r in chosen)
    assert score(assessment(not_met=chosen)).score == expected


def test_r_score_5_everything_not_met_is_minus_203_but_needs_an_ssp():
    everything_but_ssp = {r.id for r in catalog} - {"3.12.4"}
    report = score(assessment(not_met=everything_but_ssp))
    assert report.score == MIN_SCORE == -203
    assert report.level2 is Level2.NOT_ELIGIBLE


def test_r_score_3_no_ssp_means_no_score():
    report = score(assessment(not_met={"3.12.4"}))
    assert report.score is None
    assert report.level2 is Level2.NO_SCORE
    assert any("R-SCORE-3" in reason for reason in report.reasons)
    # 3.12.4 itself carries no points and is the first thing to fix.
    assert [d.requirement.id for d in report.path.implement_first] == ["3.12.4"]
    assert report.not_met[0].points == 0


def test_r_score_2_mfa_partial_is_3_full_is_5():
    assert score(assessment(partial={"3.5.3"})).score == 107
    assert score(assessment(not_met={"3.5.3"})).score == 105


def test_r_score_2_fips_partial_is_3_full_is_5():
    assert score(assessment(partial={"3.13.11"})).score == 107
    assert score(assessment(not_met={"3.13.11"})).score == 105


def test_r_score_2_no_partial_credit_elsewhere():
    # A "partial" flag on any other requirement is ignored: the methodology does not credit it (DoD AM 5(a)).
    assert score(assessment(partial={"3.1.1"})).score == 105
    assert score(assessment(partial={"3.4.1"})).score == 105


def test_r_score_4_unplanned_not_met_costs_3_12_2():
    report = score(assessment(not_met={"3.1.3"}, unplanned={"3.1.3"}))
    assert report.score == 110 - 1 - 3
    derived = [d for d in report.not_met if d.derived]
    assert [d.requirement.id for d in derived] == ["3.12.2"]
    assert any("R-SCORE-4" in reason for reason in report.reasons)
    # 3.12.2 is worth 3 and may not be on a POA&M, so the missing plan blocks Conditional status.
    assert report.level2 is Level2.NOT_ELIGIBLE


def test_r_score_4_not_applied_when_plans_are_unknown():
    results = assessment(not_met={"3.1.3"})
    for result in results:
        result.has_plan = None
    assert score(results).score == 109


def test_r_find_1_unanswered_requirements_count_not_met_and_are_named():
    report = score(assessment(missing={"3.1.3", "3.14.7"}))
    assert report.score == 110 - 1 - 3
    assert {d.requirement.id for d in report.unanswered} == {"3.1.3", "3.14.7"}
    assert any("R-FIND-1" in reason for reason in report.reasons)


def test_r_find_1_objective_rows_combine_with_not_met_winning():
    results = [RequirementResult("3.1.3[a]", MET), RequirementResult("3.1.3[b]", NOT_MET)]
    results += [r for r in assessment() if r.requirement != "3.1.3"]
    assert score(results).score == 109


def test_r_poam_2_conditional_at_88_not_at_87():
    ones = [r.id for r in catalog if r.weight == 1 and r.poam_eligibility.value == "yes"]
    at_88 = score(assessment(not_met=set(ones[:22])))
    at_87 = score(assessment(not_met=set(ones[:23])))
    assert at_88.score == 88 and at_88.level2 is Level2.CONDITIONAL
    assert at_87.score == 87 and at_87.level2 is Level2.NOT_ELIGIBLE
    # What it would take from 87: one more 1-point requirement.
    assert at_87.path.implement_first == ()
    assert len(at_87.path.then_implement) == 1 and at_87.path.score_then == 88


def test_r_poam_3_3_13_11_eligible_only_when_encryption_is_employed():
    assert score(assessment(partial={"3.13.11"})).level2 is Level2.CONDITIONAL
    report = score(assessment(not_met={"3.13.11"}))
    assert report.level2 is Level2.NOT_ELIGIBLE
    assert "R-POAM-3" in report.blocking[0].why_ineligible


def test_r_poam_3_mfa_is_never_eligible():
    for case in ({"partial": {"3.5.3"}}, {"not_met": {"3.5.3"}}):
        report = score(assessment(**case))
        assert report.level2 is Level2.NOT_ELIGIBLE
        assert [d.requirement.id for d in report.blocking] == ["3.5.3"]


def test_r_poam_4_named_exclusions_block_even_at_one_point():
    for rid in ("3.1.20", "3.1.22", "3.10.3", "3.10.4", "3.10.5"):
        report = score(assessment(not_met={rid}))
        assert report.score == 109
        assert report.level2 is Level2.NOT_ELIGIBLE
        assert "R-POAM-4" in report.blocking[0].why_ineligible


def test_r_poam_5_one_ineligible_item_means_no_conditional():
    report = score(assessment(not_met={"3.1.3", "3.1.4", "3.1.1"}))
    assert report.score == 103
    assert report.level2 is Level2.NOT_ELIGIBLE
    assert [d.requirement.id for d in report.path.implement_first] == ["3.1.1"]
    assert report.path.score_after_first == 108
    assert report.path.then_implement == ()


def test_r_poam_1_level1_requirement_not_met():
    assert not score(assessment(not_met={"3.1.1"})).level1_met
    assert score(assessment(not_met={"3.1.3"})).level1_met


def test_what_it_would_take_picks_the_fewest_requirements():
    # Blocking: 3.1.1 (5) and 3.13.11 without encryption (5); then thirty eligible 1-pointers.
    ones = [r.id for r in catalog if r.weight == 1 and r.poam_eligibility.value == "yes"][:30]
    report = score(assessment(not_met={"3.1.1", "3.13.11", *ones}))
    assert report.score == 110 - 10 - 30
    assert {d.requirement.id for d in report.path.implement_first} == {"3.1.1", "3.13.11"}
    assert report.path.score_after_first == 80
    assert len(report.path.then_implement) == 8
    assert report.path.score_then == CONDITIONAL_THRESHOLD


# --- property tests: the invariants of R-SCORE-1..5 -----------------------------------------------------

determinations = st.sampled_from([MET, NOT_MET, NA])
assessments = st.lists(st.tuples(determinations, st.booleans()), min_size=110, max_size=110)


def build(draw):
    return [RequirementResult(r.id, d, partial=p) for r, (d, p) in zip(catalog, draw)]


@settings(max_examples=300, deadline=None)
@given(assessments)
def test_property_score_stays_in_range(draw):
    report = score(build(draw))
    if report.score is None:
        assert report.level2 is Level2.NO_SCORE
        assert any(d.requirement.id == "3.12.4" for d in report.not_met)
    else:
        assert MIN_SCORE <= report.score <= 110


@settings(max_examples=300, deadline=None)
@given(assessments, st.integers(min_value=0, max_value=109))
def test_property_implementing_a_requirement_never_lowers_the_score(draw, index):
    before = build(draw)
    after = [RequirementResult(r.requirement, r.determination, partial=r.partial) for r in before]
    after[index].determination = MET
    a, b = score(before), score(after)
    if a.score is not None and b.score is not None:
        assert b.score >= a.score
    # Moving to the partial case of 3.5.3/3.13.11 from no implementation never lowers it either.
    if before[index].determination is NOT_MET and not before[index].partial:
        partial = [RequirementResult(r.requirement, r.determination, partial=r.partial) for r in before]
        partial[index].partial = True
        c = score(partial)
        if a.score is not None:
            assert c.score >= a.score


@settings(max_examples=300, deadline=None)
@given(assessments)
def test_property_partial_credit_only_where_the_rules_allow(draw):
    results = build(draw)
    report = score(results)
    for deduction in report.not_met:
        requirement = deduction.requirement
        if deduction.partial:
            assert requirement.id in {"3.5.3", "3.13.11"}
            assert deduction.points == 3
        else:
            assert deduction.points == (requirement.weight or 0)
    without_flags = score([RequirementResult(r.requirement, r.determination) for r in results])
    credited = sum(1 for d in report.not_met if d.partial) * 2
    if report.score is not None:
        assert report.score == without_flags.score + credited


@settings(max_examples=200, deadline=None)
@given(assessments)
def test_property_verdict_agrees_with_its_reasons(draw):
    report = score(build(draw))
    if report.level2 is Level2.CONDITIONAL:
        assert report.score >= 88 and not report.blocking and report.not_met
    if report.level2 is Level2.FINAL:
        assert not report.not_met
    if report.level2 is Level2.NOT_ELIGIBLE:
        assert report.score < 88 or report.blocking
    path = report.path
    if report.score is not None and report.level2 is Level2.NOT_ELIGIBLE:
        assert path.score_after_first == report.score + sum(d.points for d in path.implement_first)
        reachable = path.score_after_first + sum(d.points for d in report.not_met if d.eligible)
        assert path.score_then >= 88 or path.score_then == reachable
