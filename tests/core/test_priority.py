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


def test_an_item_touching_cui_ranks_above_the_same_item_that_does_not():
    plain, marked = item("plain", "3.2.1"), item("marked", "3.2.1")
    marked.touches_cui = True
    assert prioritize(plain).tier is Tier.OTHER and prioritize(marked).tier is Tier.CUI_EXPOSURE
    assert [i.id for i, _ in risk_order([plain, marked])] == ["marked", "plain"]
    # Low severity: "other" rather than minor, still above the same item unmarked.
    low, low_marked = item("low", "3.2.1", Severity.LOW), item("low-marked", "3.2.1", Severity.LOW)
    low_marked.touches_cui = True
    assert (prioritize(low).tier, prioritize(low_marked).tier) == (Tier.MINOR, Tier.OTHER)
    # Already CUI exposure by its requirement: the mark still puts it first among equals.
    cui, cui_marked = item("a-cui", "3.13.16"), item("b-cui-marked", "3.13.16")
    cui_marked.touches_cui = True
    assert prioritize(cui).tier is prioritize(cui_marked).tier is Tier.CUI_EXPOSURE
    assert [i.id for i, _ in risk_order([cui, cui_marked])] == ["b-cui-marked", "a-cui"]
    # Closed, the mark changes nothing.
    done = item("done", "3.2.1", status=ItemStatus.CLOSED)
    done.touches_cui = True
    assert prioritize(done).tier is Tier.DONE


def test_a_blocker_ranks_directly_before_the_highest_ranked_item_it_blocks():
    urgent = item("POAM-SC-001", "3.13.16", Severity.HIGH)  # CUI exposure
    other = item("POAM-AT-001", "3.2.1", Severity.MODERATE)
    minor = item("OPA-CM-003", "3.4.9", Severity.LOW)  # minor on its own...
    urgent.blocked_by = ["OPA-CM-003"]  # ...but the CUI work waits on it
    chained = item("OPA-AU-001", "3.3.8", Severity.LOW)  # blocks the minor one: it comes first of the chain
    minor.blocked_by = ["OPA-AU-001"]
    ordered = risk_order([other, urgent, minor, chained], as_of=date(2026, 11, 23))
    assert [i.id for i, _ in ordered] == ["OPA-AU-001", "OPA-CM-003", "POAM-SC-001", "POAM-AT-001"]
    by_id = {i.id: p for i, p in ordered}
    assert by_id["OPA-CM-003"].tier is Tier.CUI_EXPOSURE and "blocks POAM-SC-001" in by_id["OPA-CM-003"].why
    assert "blocks OPA-CM-003" in by_id["OPA-AU-001"].why
    # An item that blocks a lower-ranked one keeps its own place.
    low_blocked = item("POAM-AC-009", "3.1.9", Severity.LOW)
    low_blocked.blocked_by = ["POAM-AT-001"]
    ordered = [i.id for i, _ in risk_order([low_blocked, other, urgent])]
    assert ordered == ["POAM-SC-001", "POAM-AT-001", "POAM-AC-009"]


def test_a_closed_blocker_blocks_nothing_and_a_closed_item_waits_on_nothing():
    urgent = item("POAM-SC-001", "3.13.16", Severity.HIGH)
    blocker = item("OPA-CM-003", "3.4.9", Severity.LOW, status=ItemStatus.CLOSED)
    urgent.blocked_by = ["OPA-CM-003"]
    ordered = risk_order([blocker, urgent])
    assert [i.id for i, _ in ordered] == ["POAM-SC-001", "OPA-CM-003"] and ordered[1][1].tier is Tier.DONE
    open_blocker = item("OPA-CM-004", "3.4.9", Severity.LOW)
    finished = item("POAM-SC-002", "3.13.16", Severity.HIGH, status=ItemStatus.CLOSED)
    finished.blocked_by = ["OPA-CM-004"]
    assert risk_order([finished, open_blocker])[0][1].tier is Tier.MINOR


def test_a_cycle_in_a_file_is_cut_not_followed_forever():
    a, b = item("A", "3.2.1", Severity.LOW), item("B", "3.13.16", Severity.HIGH)
    a.blocked_by, b.blocked_by = ["B"], ["A"]
    ordered = risk_order([a, b])
    assert {i.id for i, _ in ordered} == {"A", "B"} and ordered[0][1].tier is Tier.CUI_EXPOSURE


def test_the_words_of_the_gap_count_the_seeds_unpatched_critical_vulnerabilities_rank_first():
    seeds = PoamItem(id="POAM-RA-001", requirements=["3.11.3", "3.14.1"], severity=Severity.HIGH,
                     weakness="The October Nessus scan shows 14 critical vulnerabilities unpatched for more than 30 "
                              "days on enclave endpoints; the FortiGate firmware is also two major versions behind.")
    priority = prioritize(seeds)
    assert priority.tier is Tier.CUI_EXPOSURE
    assert priority.why.startswith("High severity · the weakness names critical vulnerabilities")
    # Without the words, the same requirements and severity are "other"; words that deny say nothing.
    assert prioritize(item("R", "3.11.3", Severity.HIGH)).tier is Tier.OTHER
    calm = PoamItem(id="C", requirements=["3.11.3"], severity=Severity.MODERATE,
                    weakness="The scan shows no critical vulnerabilities, but reports are not reviewed.")
    assert prioritize(calm).tier is Tier.OTHER
    known = PoamItem(id="K", requirements=["3.11.3"], title="Two known-exploited CVEs on the VPN appliance")
    assert prioritize(known).tier is Tier.CUI_EXPOSURE
    high = PoamItem(id="H", requirements=["3.11.3"], severity=Severity.LOW, weakness="6 high vulnerabilities open")
    assert prioritize(high).tier is Tier.OTHER and "high vulnerabilities" in prioritize(high).why


def test_why_each_item_sits_where_it_does_in_plain_words():
    today = date(2026, 11, 23)
    marked = item("POAM-AC-004", "3.2.1", Severity.HIGH, due=date(2026, 12, 2))
    marked.touches_cui = True
    blocked_one, blocked_two = item("OPA-AC-003", "3.2.2", Severity.LOW), item("POAM-SI-007", "3.2.3", Severity.LOW)
    blocked_one.blocked_by = blocked_two.blocked_by = ["POAM-AC-004"]
    by_id = {i.id: p for i, p in risk_order([blocked_one, marked, blocked_two], as_of=today)}
    assert by_id["POAM-AC-004"].why == "High severity · touches CUI · blocks OPA-AC-003 and POAM-SI-007 · due in 9 days"
    late = item("L", "3.12.4", Severity.MODERATE, due=date(2026, 11, 20))
    assert prioritize(late, as_of=today).why == "Moderate severity · 3.12.4 is a foundation · overdue by 3 days"
    exposed = item("E", "3.13.16", Severity.HIGH, due=today)
    assert prioritize(exposed, as_of=today).why == "High severity · protects CUI directly (3.13.16) · due today"
    assert prioritize(item("N", "3.2.1", None), as_of=today).why == "Severity not recorded · no due date"
    assert prioritize(item("D", "3.2.1", status=ItemStatus.CLOSED), as_of=today).why.startswith("Closed")
