"""Schemathesis against the API's own OpenAPI document, in the test suite, on the WSGI app (no server): every
operation gets generated requests, valid and invalid, with two organizations' tokens. Proved: no server error,
no answer that breaks the document (status, content type, body), and no read or write across organizations.

``PUNCHLIST_API_FUZZ_EXAMPLES`` (default 15) sets the examples per operation and mode; the figures are printed
(run with -s to see them)."""

from __future__ import annotations

import json
import os
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from punchlist.audit.models import AuditEvent
from punchlist.orgs import services as org_services
from punchlist.orgs.models import Membership
from punchlist.register import services
from punchlist.register.models import Assessment, Determination, Evidence, Milestone, PoamItem
from punchlist.testing import make_item

pytestmark = pytest.mark.django_db(transaction=False)

EXAMPLES = int(os.environ.get("PUNCHLIST_API_FUZZ_EXAMPLES", "15"))
# Operations that render a whole document (a PDF, a workbook, a ZIP) take a second each: fewer examples, so the
# run stays within a couple of minutes; their parameters are few enumerations, which few examples cover.
DOCUMENTS = frozenset({"report", "assessor_package", "export"})
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _organization(team, secret_word: str):
    """An organization with an item (a milestone, evidence), an assessment and its token, whose every text
    carries ``secret_word`` so that a leak into the other organization's answers shows."""
    item = make_item(team, title=f"{secret_word} lockout item", weakness=f"{secret_word} weakness")
    services.add_milestone(team.owner, item, f"{secret_word} milestone")
    evidence = services.add_evidence(team.owner, item, name=f"{secret_word}.txt",
                                     reference=f"https://{secret_word}.example/evidence")
    assessment = services.create_assessment(team.coordinator, team.org, assessed_on=item.start_date,
                                            title=f"{secret_word} assessment")
    services.set_requirement_status(team.coordinator, assessment, "3.1.8", Determination.NOT_MET)
    return {"slug": team.org.slug, "identifiers": [item.identifier],
            "pks": [assessment.pk, evidence.pk, item.milestones.get().pk, team.viewer.pk],
            "word": secret_word, "org": team.org}


def test_schemathesis_finds_no_server_error_no_schema_break_and_no_crossing(team, rival, token, settings_django,
                                                                         capsys):
    from django.core.wsgi import get_wsgi_application

    ours = _organization(team, "zanzibarine")
    # Ours runs a client, so that its portfolio answers with a row.
    org_services.make_provider(team.admin, team.org)
    org_services.create_client(team.admin, team.org, name="Client of the provider")
    theirs = _organization(rival, "quetzalfold")
    ours["secret"] = token(team.coordinator, team.org, write=True)
    theirs["secret"] = token(rival.coordinator, rival.org, write=True)
    # A third caller: our viewer with a read-only token, whose writes are refused.
    viewer = {**ours, "secret": token(team.viewer, team.org)}
    sides = (ours, theirs)
    callers = (ours, theirs, viewer)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())

    figures = Counter()
    failures: list[str] = []
    crossings: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode)
            takes_if_match = any(p.get("name") == "If-Match" for p in operation.definition.raw.get("parameters", []))

            examples = max(2, EXAMPLES // 5) if operation.definition.raw.get("operationId") in DOCUMENTS else EXAMPLES

            @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))
            @given(case=strategy, data=st.data())
            def run(case, data):
                caller = data.draw(st.sampled_from(callers), label="caller")
                other = theirs if caller["slug"] == ours["slug"] else ours
                target = data.draw(st.sampled_from(("own", "own", "other", "generated")), label="organization")
                params = case.path_parameters or {}
                if "slug" in params and target != "generated":
                    params["slug"] = (caller if target == "own" else other)["slug"]
                    if "identifier" in params and data.draw(st.booleans()):
                        params["identifier"] = data.draw(st.sampled_from(ours["identifiers"] + theirs["identifiers"]))
                    if "pk" in params and data.draw(st.booleans()):
                        params["pk"] = data.draw(st.sampled_from(ours["pks"] + theirs["pks"]))
                headers = {"Authorization": f"Bearer {caller['secret']}"}
                if takes_if_match and ("identifier" in params or "pk" in params) and data.draw(st.booleans()):
                    headers["If-Match"] = f'"{current_version(operation.path, params)}"'  # a write that may pass
                response = case.call(headers=headers)
                figures["cases"] += 1
                figures[f"status {response.status_code}"] += 1
                try:
                    case.validate_response(response, checks=CHECKS)
                except (Exception, BaseExceptionGroup) as exc:  # a failed check: kept, and every operation runs
                    failures.append(f"{operation.label} [{mode.value}]: {str(exc)[:400]}")
                label = f"{operation.label} {params} as {caller['slug']}"
                if params.get("slug") == other["slug"] and response.status_code < 400:
                    crossings.append(f"{label}: {response.status_code} for the other organization")
                if response.status_code < 400 and other["word"] in response.content.decode("utf-8", "replace"):
                    crossings.append(f"{label}: the answer holds the other organization's data")

            run()
            figures["operation runs"] += 1

    # No write crossed: each organization's audit trail holds events by its own people only.
    for side in sides:
        members = set(Membership.objects.filter(organization=side["org"]).values_list("user_id", flat=True))
        actors = set(AuditEvent.objects.filter(organization=side["org"]).exclude(actor=None)
                     .values_list("actor_id", flat=True))
        if actors - members:
            crossings.append(f"{side['slug']}'s trail has events by people outside it: {sorted(actors - members)}")

    summary = {"operations": len(operations), "cases": figures["cases"], "failures": len(failures),
               "crossings": len(crossings), "examples per operation and mode": EXAMPLES,
               "statuses": {k: v for k, v in sorted(figures.items()) if k.startswith("status")}}
    with capsys.disabled():
        print("\nschemathesis:", json.dumps(summary))
    assert not failures, "\n".join(failures[:20])
    assert not crossings, "\n".join(crossings[:20])
    assert figures["cases"] >= len(operations) * 2  # every operation was called, in both modes
    assert len(operations) == 45  # the document's every operation (with the FedRAMP export and the report jobs)


def current_version(path: str, params: dict) -> int:
    """The version of the record a write names (a piece of evidence's, an assessment's, a membership's, a
    milestone's, else its item's), as a client that has just read it would send in If-Match; 0 for one that
    does not exist."""
    slug, pk = params.get("slug"), params.get("pk") if isinstance(params.get("pk"), int) else None
    records = {"/evidence/": Evidence.objects.filter(item__organization__slug=slug, pk=pk),
               "/assessments/": Assessment.objects.filter(organization__slug=slug, pk=pk),
               "/people/": Membership.objects.filter(organization__slug=slug, user_id=pk)}
    for part, found in records.items():
        if part in path:
            return found.values_list("version", flat=True).first() or 0
    items = PoamItem.objects.filter(organization__slug=slug, identifier=params.get("identifier"))
    if "/milestones/" in path:
        milestone = Milestone.objects.filter(item__in=items, pk=params.get("pk") if isinstance(params.get("pk"), int)
                                             else None).values_list("version", flat=True).first()
        return milestone or 0
    return items.values_list("version", flat=True).first() or 0


@pytest.fixture
def settings_django(settings, tmp_path):
    """The WSGI app as schemathesis' client calls it, inside the test's transaction: its host allowed, and the
    database connection kept open between requests (as Django's own test client keeps it)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    settings.ALLOWED_HOSTS = ["*"]  # schemathesis' WSGI client names its own host
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield settings
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
