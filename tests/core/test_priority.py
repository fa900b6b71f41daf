"""Risk order: CUI exposure first, then the foundations others depend on, then the rest, minor last."""

from datetime import date

from punchlist.core.catalog import load_catalog
from punchlist.core.priority import DEPENDENCIES, Tier, cui_exposed, prioritize, risk_order
from punchlist.core.records import ItemStatus, PoamItem, Severity


def item(id, requirement, severity=Severity.MODERATE, status=ItemStatus.OPEN, due=None):
    return PoamItem(id=id, requirements=[requirement] if requirement else [], severity=severity, status=status,
                    scheduled_completion=due)


def test_cui_exposure_comes_from_the_catalog_text_the_mp_family_and_the_cui_data_exclusions():
    catalog = load_catalog()
    assert cui_exposed(catalog.get("3.13.16"))  # "Protect the confidentiality of CUI at rest."
    assert cui_exposed(catalog.get("3.8.7"))  # Media Protection, though its text does not say CUI
    assert cui_exposed(catalog.get("3.10.3"))  # "(CUI Data)" in 32 CFR 170.21(a)(2)(iii)
    assert not cui_exposed(catalog.get("3.2.1"))
    assert not cui_exposed(catalog.get("3.12.4"))


def test_tiers_and_their_reasons():
    assert prioritize(item("A", "3.13.16")).tier is Tier.CUI_EXPOSURE
    assert "3.13.16" in prioritize(item("A", "3.13.16")).reason
    assert prioritize(item("B", "3.12.4")).tier is Tier.DEPENDENCY
    assert "R-SCORE-3" in prioritize(item("B", "3.12.4")).reason
    assert prioritize(item("C", "3.2.1")).tier is Tier.OTHER
    assert prioritize(item("D", "3.2.1", Severity.LOW)).tier is Tier.MINOR
    assert prioritize(item("E", "3.1.9")).tier is Tier.MINOR  # notices: documentation
    assert prioritize(item("F", "3.2.1", Severity.CRITICAL)).tier is Tier.CUI_EXPOSURE
    assert prioritize(item("G", "3.13.16", status=ItemStatus.CLOSED)).tier is Tier.DONE
    assert prioritize(item("H", "3.13.16", status=ItemStatus.RISK_ACCEPTED)).tier is Tier.DONE
    # Low severity takes a CUI item out of the first tier; a foundation stays a foundation whatever it says.
    assert prioritize(item("I", "3.8.9", Severity.LOW)).tier is Tier.OTHER
    assert prioritize(item("J", "3.5.3", Severity.LOW)).tier is Tier.DEPENDENCY
    # An unknown requirement or none at all is simply "other", never an error.
    assert prioritize(item("K", "9.9.9")).tier is Tier.OTHER
    assert prioritize(item("L", None, severity=None)).tier is Tier.OTHER


def test_an_item_takes_the_most_urgent_tier_of_its_requirements():
    blended = PoamItem(id="M", requirements=["3.2.1", "AC.L2-3.1.3"], severity=Severity.HIGH)
    assert prioritize(blended).tier is Tier.CUI_EXPOSURE


def test_risk_order_cui_then_dependencies_then_the_rest_then_minor_then_done():
    items = [
        item("done", "3.13.16", Severity.CRITICAL, status=ItemStatus.CLOSED),
        item("minor", "3.2.1", Severity.LOW),
        item("other", "3.2.1", Severity.HIGH),
        item("mfa", "3.5.3"),
        item("ssp", "3.12.4", Severity.LOW),
        item("cui", "3.8.3"),
    ]
    assert [i.id for i, _ in risk_order(items)] == ["cui", "ssp", "mfa", "other", "minor", "done"]


def test_within_a_tier_dependency_rank_then_severity_then_points_then_due_then_id():
    order = list(DEPENDENCIES)
    assert order[0] == "3.12.4" and order.index("3.13.11") < order.index("3.4.1")
    items = [
        item("z-late", "3.1.4", Severity.HIGH, due=date(2026, 9, 1)),
        item("z-undated", "3.1.4", Severity.HIGH),
        item("a-early", "3.1.4", Severity.HIGH, due=date(2026, 3, 1)),
        item("b-early", "3.1.4", Severity.HIGH, due=date(2026, 3, 1)),
        item("heavier", "3.14.1", Severity.HIGH, due=date(2027, 1, 1)),
        item("moderate", "3.1.4", Severity.MODERATE, due=date(2026, 1, 1)),
        item("unknown-severity", "3.1.4", None, due=date(2026, 2, 1)),
    ]
    catalog = load_catalog()
    assert catalog.get("3.14.1").weight == 5 and catalog.get("3.1.4").weight == 1
    ordered = [i.id for i, _ in risk_order(items)]
    assert ordered == ["heavier", "a-early", "b-early", "z-late", "z-undated", "moderate", "unknown-severity"]


def test_dependencies_in_their_own_order_before_severity():
    items = [item("logs", "3.3.1", Severity.CRITICAL), item("fips", "3.13.11", Severity.LOW),
             item("baseline", "3.4.1", Severity.HIGH), item("ssp", "3.12.4", Severity.LOW)]
    # The critical one is a CUI-exposure item (critical severity); the rest in the order of DEPENDENCIES.
    assert [i.id for i, _ in risk_order(items)] == ["logs", "ssp", "fips", "baseline"]


def test_risk_order_matches_one_by_one_prioritize_on_many_items():
    catalog = load_catalog()
    severities = [None, *Severity]
    statuses = list(ItemStatus)
    items = [PoamItem(id=f"I-{n:04}", requirements=[catalog.requirements[n % 110].id],
                      severity=severities[n % 5], status=statuses[n % 6],
                      scheduled_completion=date(2026, 1, 1 + n % 28) if n % 7 else None)
             for n in range(1500)]
    ranked = risk_order(items)
    assert sorted(items, key=lambda i: prioritize(i).key) == [i for i, _ in ranked]
    assert all(p == prioritize(i) for i, p in ranked)
