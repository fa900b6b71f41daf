"""Thousands of mutated OSCAL POA&Ms (NIST's IFA example: wrong types, missing keys, strings for lists, deep
nesting, huge values), in JSON, YAML and XML: each is read or refused with one InputError naming where it is
wrong, and nothing else ever escapes the reader."""

import copy
import os
import json

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from punchlist.errors import InputError
from punchlist.interchange.oscal_import import oscal_bytes_to_poam

pytestmark = pytest.mark.fixtures

XML_EXAMPLES = 3000
EXAMPLES = int(os.environ.get("PUNCHLIST_OSCAL_FUZZ_EXAMPLES", "300"))
SEEN = {"documents": 0, "read": 0, "refused": 0}

WEIRD = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20),
    st.just("just a string"), st.just([]), st.just({}), st.just(["just a string"]), st.just([1, None, "x"]),
    st.just("x" * 200_000), st.just({"uuid": "not-a-uuid"}), st.just("2023-13-45T99:99:99Z"),
    st.just(json.loads("[" * 40 + "1" + "]" * 40)),
)


def paths(value, prefix=()):
    """Every place in a document: (path, value) pairs."""
    yield prefix, value
    if len(prefix) > 30:  # below here only what a mutation nested in
        return
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, prefix + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from paths(child, prefix + (index,))


def nest(depth: int):
    value: object = "deep"
    for _ in range(depth):
        value = {"a": [value]}
    return value


@st.composite
def mutated(draw, base, within=()):
    """``base`` changed in one to four places (under ``within`` only, where given)."""
    document = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 4))):
        places = [p for p, _ in paths(document) if p and p[:len(within)] == within and len(p) > len(within)]
        if not places:
            break
        place = draw(st.sampled_from(places))
        parent = document
        for step in place[:-1]:
            parent = parent[step]
        key = place[-1]
        action = draw(st.sampled_from(["replace", "delete", "stringify", "listify", "nest", "duplicate"]))
        if action == "replace":
            # A copy: st.just gives the same list or dict every time, and a later mutation of this document
            # would change it for every example after (hypothesis then sees the strategy draw differently).
            parent[key] = copy.deepcopy(draw(WEIRD))
        elif action == "delete":
            del parent[key]
        elif action == "stringify":
            try:
                parent[key] = json.dumps(parent[key])[:50]
            except RecursionError:
                parent[key] = "[[[["
        elif action == "listify":
            parent[key] = [parent[key], "just a string"]
        elif action == "nest":
            parent[key] = nest(draw(st.sampled_from([5, 50, 500, 3000])))
        else:
            parent[key] = [parent[key]] * draw(st.integers(2, 30)) if isinstance(parent, dict) else parent[key]
    return document


def serialise(document, form: str) -> bytes:
    if form == "json":
        return json.dumps(document).encode()
    return yaml.safe_dump(document, sort_keys=False).encode()


def check(data: bytes, name: str) -> None:
    SEEN["documents"] += 1
    try:
        oscal_bytes_to_poam(data, source=name)
    except InputError as error:
        SEEN["refused"] += 1
        text = str(error)
        assert text.startswith(name) and "Traceback" not in text and "\n" not in text.strip()
    else:
        SEEN["read"] += 1


@pytest.fixture(scope="module")
def base(shared_fixture):
    return json.loads(shared_fixture("oscal/examples/nist-ifa-poam.json").read_text("utf-8"))


def test_thousands_of_mutated_documents_never_escape_the_reader(base):
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(document=mutated(base), form=st.sampled_from(["json", "json", "yaml"]))
    def run(document, form):
        try:
            data = serialise(document, form)
        except (RecursionError, yaml.YAMLError):
            data = b"[" * 100_000  # too deep to write: as deep a file as a person could bring
        check(data, f"fuzz.{form}")

    run()
    print(f"\nOSCAL fuzz (JSON, YAML): {SEEN['documents']} documents, {SEEN['read']} read, {SEEN['refused']} refused, "
          "0 uncaught exceptions")
    assert SEEN["documents"] >= EXAMPLES and SEEN["refused"] > SEEN["documents"] // 4 and SEEN["read"] > 0


@pytest.fixture(scope="module")
def own_export():
    """Punchlist's own export, whose items the reader takes exactly from its properties, evidence included."""
    from datetime import date

    from export_samples import CONTEXT, sample_poam

    from punchlist.interchange.exports import EvidenceEntry
    from punchlist.interchange.oscal import poam_to_oscal

    poam = sample_poam()
    evidence = {item.id: [EvidenceEntry("Report:\nweekly", filename="report.pdf", sha256="ab" * 32, size=12,
                                        added_by="Priya Lee", added_on=date(2026, 11, 1), custodian="Olive Lee",
                                        collected_on=date(2026, 10, 30), review_by=date(2027, 10, 30),
                                        file_type="PDF document", requirements=("3.1.1",), name="report.pdf",
                                        note="Report:\nweekly"),
                          EvidenceEntry("Ticket", href="https://tickets.example/1", name="Ticket")]
                for item in poam.items if item.id}
    return poam_to_oscal(poam, CONTEXT, evidence=evidence)


@pytest.mark.parametrize("part", ["back-matter", "observations", "poam-items"])
def test_mutated_punchlist_exports_never_escape_the_reader(own_export, part):
    """The evidence's resources, the observations that point at them and the items' own properties, mutated: read
    or refused in one sentence."""
    # Derandomized: the same documents on every run, so that "some are read" is a fact of the run and not a draw
    # (random draws of 100 back-matter mutations once read none).
    @settings(max_examples=max(EXAMPLES // 3, 100), deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(document=mutated(own_export, within=("plan-of-action-and-milestones", part)))
    def run(document):
        try:
            data = serialise(document, "json")
        except RecursionError:
            data = b"[" * 100_000  # too deep to write: as deep a file as a person could bring
        check(data, "fuzz.json")

    before = dict(SEEN)
    run()
    done = SEEN["documents"] - before["documents"]
    print(f"\nOSCAL fuzz (Punchlist's own export, {part}): {done} documents, {SEEN['read'] - before['read']} read, "
          "0 uncaught exceptions")
    assert done >= max(EXAMPLES // 3, 100) and SEEN["read"] > before["read"]


XML_MUTATIONS = [
    ("<title>", "<title><title>x</title>"), ("</risk>", "<risk/></risk>"), ('uuid="', 'uuid="x'),
    ("<poam-item ", "<poam-item><poam-item "), ("<status>", "<status><p>x</p>"), ("<description>", ""),
    ("<related-observation ", "<related-observation><a/></related-observation><related-observation "),
    ("<facet ", "<facet value='1'/><facet "), ("<metadata>", "<metadata>" + "<prop>" * 100 + "</prop>" * 100),
    ("<metadata>", "<metadata>" + "<x>" * 5000 + "</x>" * 5000), ("</plan-of-action-and-milestones>", ""),
    ('observation-uuid="', 'observation-uuid="&#0;'), ("<timing>", "<timing><on-date date='never'/>"),
]


def test_mutated_xml_documents_never_escape_the_reader(shared_fixture):
    text = shared_fixture("oscal/examples/nist-ifa-poam.xml").read_text("utf-8")

    @settings(max_examples=XML_EXAMPLES, deadline=None, database=None)
    @given(st.lists(st.tuples(st.sampled_from(XML_MUTATIONS), st.integers(1, 3)), min_size=1, max_size=3))
    def run(changes):
        mutated_text = text
        for (old, new), count in changes:
            mutated_text = mutated_text.replace(old, new, count)
        check(mutated_text.encode(), "fuzz.xml")

    before = SEEN["documents"]
    run()
    print(f"\nOSCAL fuzz (XML): {SEEN['documents'] - before} documents, 0 uncaught exceptions")
    assert SEEN["documents"] - before >= XML_EXAMPLES
