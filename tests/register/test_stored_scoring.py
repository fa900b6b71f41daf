"""Stored data through punchlist.core: the register maps its rows to core records and lets core decide."""

from datetime import date, timedelta

import pytest

from punchlist.core.catalog import load_catalog
from punchlist.core.records import ItemStatus, RecordKind, Severity
from punchlist.core.scoring import Level2
from punchlist.register import mapping, services
from punchlist.register.models import PoamItem
from punchlist.register.services import InvalidChange
from punchlist.testing import make_item


@pytest.fixture
def assessment(team):
    assessment = services.create_assessment(team.coordinator, team.org, assessed_on=date.today())
    for requirement in load_catalog():
        services.set_requirement_status(team.coordinator, assessment, requirement.id, "met")
    return assessment


def test_all_met_is_final(assessment):
    report = mapping.score_assessment(assessment)
    assert (report.score, report.level2) == (110, Level2.FINAL)


def test_partial_credit_and_the_plan_of_action_rule(team, assessment):
    # R-SCORE-2: 3.13.11 with encryption that is not FIPS-validated costs 3, not 5.
    services.set_requirement_status(team.coordinator, assessment, "SC.L2-3.13.11", "not_met", partial=True,
                                    implementation="BitLocker on laptops, not in FIPS mode")
    services.set_requirement_status(team.coordinator, assessment, "3.1.8", "not_met")
    # R-SCORE-4: 3.1.8 has no plan of action yet, so 3.12.2 is NOT MET too (-3).
    report = mapping.score_assessment(assessment)
    assert report.score == 110 - 3 - 1 - 3
    assert any("R-SCORE-4" in reason for reason in report.reasons)

    make_item(team, requirements=["3.1.8"], title="Lock accounts after 5 failed logins")
    make_item(team, requirements=["3.13.11"], title="Turn on FIPS mode for BitLocker")
    report = mapping.score_assessment(assessment)
    assert (report.score, report.level2) == (106, Level2.CONDITIONAL)


def test_partial_is_refused_where_the_rules_do_not_allow_it(team, assessment):
    with pytest.raises(InvalidChange, match="R-SCORE-2: only 3.5.3 and 3.13.11"):
        services.set_requirement_status(team.coordinator, assessment, "3.1.1", "not_met", partial=True)
    with pytest.raises(InvalidChange, match="R-SCORE-2"):
        services.set_requirement_status(team.coordinator, assessment, "3.5.3", "met", partial=True)


def test_item_maps_to_a_core_record_with_every_field(team):
    item = make_item(team, requirements=["3.5.5"], objectives=["3.5.5[a]"], severity="critical",
                     supporting_owner=team.owner2, resources="$4,000 Duo licences", source="C3PAO assessment",
                     responsible_unit="IT Operations",
                     milestones=[("Buy licences", date.today() + timedelta(days=7))])
    services.add_evidence(team.owner, item, name="quote.pdf", content=b"%PDF")
    (record,) = mapping.to_poam(PoamItem.objects.for_organization(team.org)).items
    assert record.id == "POAM-IA-001"
    assert record.requirements == ["3.5.5"] and record.objectives == ["3.5.5[a]"]
    assert record.severity is Severity.CRITICAL
    assert record.status is ItemStatus.OPEN and record.kind is RecordKind.ASSESSMENT_POAM
    assert (record.primary_owner, record.supporting_owner, record.approval_authority) == (
        "Marcus Lee", "Olive Lee", "Priya Lee")
    assert record.resources == "$4,000 Duo licences" and record.source == "C3PAO assessment"
    assert record.scheduled_completion == item.scheduled_completion
    assert [(m.description, m.due) for m in record.milestones] == [("Buy licences",
                                                                    date.today() + timedelta(days=7))]
    assert record.evidence == "quote.pdf"


def test_mapping_reads_in_a_fixed_number_of_queries(team, django_assert_num_queries):
    for n in range(5):
        item = make_item(team, title=f"Item {n}", milestones=["one", "two"])
        services.add_evidence(team.owner, item, name=f"e{n}", reference="share")
    # items, requirements, blocked-by links, milestones, evidence, people (and who still belongs)
    with django_assert_num_queries(6):
        poam = mapping.to_poam(PoamItem.objects.for_organization(team.org))
    assert len(poam.items) == 5


def test_an_item_whose_owner_left_the_organization_is_found(team):
    from punchlist.orgs import services as org_services
    from punchlist.orgs.models import Membership

    item = make_item(team, primary_owner=team.owner2)
    make_item(team, title="Someone else's")
    org_services.remove_member(team.admin, Membership.objects.get(organization=team.org, user=team.owner2),
                               reason="left")  # the bare removal, without handing the items over
    findings = [f for f in mapping.lint_organization(team.org, as_of=date.today()) if f.check == "departed-person"]
    assert [(f.item, f.message.split(",")[0]) for f in findings] == [(item.identifier, "The item's primary owner")]
    assert "Olive Lee, no longer belongs" in findings[0].message
    single = mapping.item_poam(mapping.items_for_records(PoamItem.objects.filter(pk=item.pk)).get())
    assert single.departed == frozenset({"Olive Lee"})


def test_stored_items_are_linted_by_core(team):
    good = make_item(team, milestones=[("Buy Duo licences", date.today() + timedelta(days=14)),
                                       ("Enroll all VPN users", date.today() + timedelta(days=40))])
    vague = make_item(team, title="Monitoring", remediation="Improve monitoring", requirements=["3.3.3"])
    findings = mapping.lint_organization(team.org, as_of=date.today())
    by_item = {}
    for finding in findings:
        by_item.setdefault(finding.item, []).append(finding.check)
    assert "vague-remediation" in by_item[vague.identifier]
    assert good.identifier not in by_item, by_item.get(good.identifier)


def test_bulk_and_single_mappings_agree(team):
    item = make_item(team, requirements=["3.1.8", "3.1.9"], supporting_owner=team.owner2,
                     milestones=[("Buy", date.today()), ("Apply GPO", None)], objectives=["3.1.8[a]"])
    services.add_evidence(team.owner, item, name="gpo-report.html", content=b"<html>")
    services.add_evidence(team.owner, item, name="ticket", reference="CHG-1")
    make_item(team, title="Second", status="draft")
    items = PoamItem.objects.for_organization(team.org)
    bulk = mapping.to_poam(items).items
    single = [mapping.to_record(i) for i in mapping.items_for_records(items)]
    assert bulk == single and len(bulk) == 2
