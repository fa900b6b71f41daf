"""FedRAMP's rev5 POA&M Schematron rules (``poam.sch``, compiled to XSLT and run with saxonche) on the OSCAL XML
export of the demo organization: every rule that fits a CMMC POA&M passes.

The rules are run twice: on the export as written (OSCAL 1.1), and on a copy whose ``related-risk`` elements
carry OSCAL 1.0's name ``associated-risk``, because FedRAMP's risk rules (deadline, planned response,
milestones, impact facet) select their risks through ``associated-risk`` and would otherwise never run.

Left out, and why (``LEFT_OUT``):

- ``poam-item-has-associated-risk``: OSCAL 1.1 renamed ``associated-risk`` to ``related-risk``; the export
  has one ``related-risk`` per item (the renamed copy passes it).
- ``has-system-security-plan-resource``: an organization that names no OSCAL SSP gets FedRAMP's
  ``no-oscal-ssp`` back-matter resource behind ``import-ssp`` (FedRAMP's guide, 3.5.2, and its template); this
  rule wants a ``system-security-plan`` resource there instead, with an rlink to an OSCAL SSP that the
  organization does not have. FedRAMP's own rules contradict its guide here.
- ``has-non-OSCAL-system-security-plan-resource``: its test is ``false()``: a warning that always fires where
  a ``no-oscal-ssp`` resource is declared, by design.
- ``import-ssp-has-available-document`` and ``import-ssp-resolves-to-ssp`` (warnings): they open the OSCAL SSP
  that ``import-ssp`` leads to; an organization with no OSCAL SSP has none to open, and where one is named,
  whether it opens depends on where the receiver keeps the files, not on the export.
- ``risk-has-recommendation``: FedRAMP's assessor writes a recommendation beside the provider's plan. A CMMC
  POA&M holds the contractor's plan (R-POAM-*); Punchlist records no separate recommendation and writes none
  rather than copy the plan under another name.
- ``has-timely-completion-date``: FedRAMP's remediation windows (30/90/180 days from detection by impact) are
  FedRAMP's; CMMC's clock is 180 days from the Conditional status for the whole POA&M (R-CLOSE-*).
- ``risk-has-planned-response`` and ``associated-risk-has-planned-response``, for closed items only: a closed
  item's response is ``lifecycle: completed`` (OSCAL's word for a plan carried out), where FedRAMP wants every
  risk to keep a ``planned`` one. Fired by any open item, they fail the test.
- ``risk-has-milestones``, for items with no milestone recorded only: the export says so in the response's
  remarks rather than invent one (the register's lint flags such items). Fired by any item with milestones,
  it fails the test.
"""

from __future__ import annotations

import re
from collections import defaultdict
from xml.etree import ElementTree

import pytest

from punchlist.core.records import ItemStatus
from punchlist.interchange.oscal_xml import write_oscal_xml
from punchlist.register.exports import build_export
from punchlist.web import demo

saxonche = pytest.importorskip("saxonche")

SVRL = "{http://purl.oclc.org/dsdl/svrl}"
LEFT_OUT = {
    "poam-item-has-associated-risk": "OSCAL 1.1 renamed associated-risk to related-risk",
    "has-system-security-plan-resource": "contradicts FedRAMP's no-oscal-ssp resource (guide 3.5.2)",
    "has-non-OSCAL-system-security-plan-resource": "always fires (its test is false()) where no-oscal-ssp is declared",
    "import-ssp-has-available-document": "opens the OSCAL SSP, which an organization without one does not have",
    "import-ssp-resolves-to-ssp": "opens the OSCAL SSP, which an organization without one does not have",
    "risk-has-recommendation": "FedRAMP's assessor recommendation; a CMMC POA&M holds the contractor's plan",
    "has-timely-completion-date": "FedRAMP's 30/90/180-day windows, not CMMC's",
}
CLOSED_ONLY = {"risk-has-planned-response", "associated-risk-has-planned-response"}
WITHOUT_MILESTONES_ONLY = {"risk-has-milestones"}


def _failures(xml_path, stylesheet) -> tuple[dict[str, list[str]], int]:
    """Each failed assert's id with the places it failed, and the number of rules that fired."""
    with saxonche.PySaxonProcessor(license=False) as processor:
        executable = processor.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(stylesheet))
        report = ElementTree.fromstring(executable.transform_to_string(source_file=str(xml_path)))
    failed = defaultdict(list)
    for assertion in report.iter(f"{SVRL}failed-assert"):
        failed[assertion.get("id")].append(assertion.get("location"))
    return dict(failed), sum(1 for _ in report.iter(f"{SVRL}fired-rule"))


def _risk_numbers(locations: list[str]) -> set[int]:
    """1-based positions of the risks (one per item, in item order) that the locations name."""
    numbers = set()
    for location in locations:
        found = re.search(r"}poam-item\[(\d+)\]", location) or re.search(r"}risk\[(\d+)\]", location)
        assert found, location
        numbers.add(int(found.group(1)))
    return numbers


@pytest.mark.django_db
def test_fedramps_rules_that_fit_a_cmmc_poam_pass_on_the_demos_xml_export(tmp_path, shared_fixture):
    stylesheet = shared_fixture("fedramp/rules/poam-rev5.compiled.xsl")
    seeded = demo.seed()
    organization = seeded.organization
    export = build_export(_viewer(organization), organization, kind="both", include_closed=True)
    items = export.poam.items
    path = write_oscal_xml(export.poam, export.context, tmp_path / "poam.xml", evidence=export.evidence)
    closed = {n for n, item in enumerate(items, 1) if item.status is ItemStatus.CLOSED}
    bare = {n for n, item in enumerate(items, 1) if not item.milestones}
    assert closed and bare and len(closed | bare) < len(items)  # the demo exercises both cases, and the rest

    as_written, fired = _failures(path, stylesheet)
    assert fired > len(items)
    assert set(as_written) <= set(LEFT_OUT), as_written

    renamed = tmp_path / "poam-1.0-names.xml"
    renamed.write_bytes(path.read_bytes().replace(b"<related-risk ", b"<associated-risk "))
    failures, fired_renamed = _failures(renamed, stylesheet)
    assert fired_renamed > fired  # the risk rules ran this time
    unexplained = set(failures) - set(LEFT_OUT) - CLOSED_ONLY - WITHOUT_MILESTONES_ONLY
    assert not unexplained, {rule: failures[rule] for rule in unexplained}
    for rule in CLOSED_ONLY & set(failures):
        assert _risk_numbers(failures[rule]) <= closed, (rule, failures[rule])
    for rule in WITHOUT_MILESTONES_ONLY & set(failures):
        assert _risk_numbers(failures[rule]) <= bare, (rule, failures[rule])
    # What the export was changed for is asserted, not merely absent from a list.
    for rule in ("has-import-ssp", "has-risk-impact-characterization-facet", "risk-has-deadline",
                 "milestone-has-description", "milestone-has-timing", "related-observation-has-observation"):
        assert rule not in failures


def _viewer(organization):
    from punchlist.orgs.models import Membership, Role

    return Membership.objects.filter(organization=organization, role=Role.VIEWER).first().user
