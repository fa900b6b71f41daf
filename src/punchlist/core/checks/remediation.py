"""Is a remediation specific enough for an assessor (R-CONT-2, R-CONT-3)?

An assessor accepts a plan that says *what* will be done *to what*, and *how* or *when* it will be shown:
"Deploy Duo MFA to all 42 remote and privileged accounts; enforce via Entra conditional access; export the
enrolment report as evidence". They reject words that promise nothing: "improve monitoring", "implement
controls", "TBD". The judgement weighs vague phrases against signals of specificity:

- *what*: a concrete action verb (deploy, configure, enforce, ...), a named tool, product, person or technology
  (Duo, SIEM, BitLocker, Marcus Lee), a named artefact that can be shown (log, ticket, report, GPO, baseline);
- *how/when*: numbers and dates, and a recurring rhythm (weekly, every Monday).

A text with no *what* at all is vague. A text with a vague phrase needs a concrete action and at least one more
signal to outweigh it ("Improve monitoring by deploying Splunk and reviewing its logs weekly" passes, "Review and
update ERP policies" does not). A text of one or two words needs two signals ("Deploy MFA" passes, "Patch
servers" does not). Precision matters as
much as recall, so anything concrete is given the benefit of the doubt.
"""

from __future__ import annotations

import re

# Whole remediations that are placeholders, compared after lower-casing and trimming punctuation.
PLACEHOLDERS = frozenset(
    {
        "", "tbd", "tba", "tbc", "n/a", "na", "none", "todo", "to do", "to be determined", "to be decided",
        "pending", "in progress", "ongoing", "see above", "see weakness", "same as above", "as needed",
        "remediate", "fix", "fix it", "unknown", "x", "?", "-", "yes", "no",
    }
)

# Concrete actions: each base form with its inflections, matched as whole lower-case words.
_ACTION_VERBS = (
    "deploy install configure enable enforce disable replace migrate document train retrain remove revoke "
    "rotate encrypt restrict block patch upgrade purchase procure buy license schedule segment isolate "
    "require apply publish integrate retire decommission write draft approve sign record export collect test "
    "scan create establish assign add limit lock wipe sanitize sanitise destroy shred escort badge verify "
    "validate obtain hire contract engage set move separate disconnect uninstall reimage rebuild harden "
    "restore archive label mark register enrol enroll onboard offboard terminate reset "
    "rollout push distribute provision deprovision inventory map tag whitelist allowlist "
    "blacklist denylist filter quarantine alert forward ingest log capture retain store attach "
    "submit email notify brief inspect exercise rehearse tabletop sign-off adopt select acquire subscribe "
    "activate deactivate expire shorten cap relocate mount cover post display develop segregate define "
    "designate appoint prohibit deny allow permit authorize authorise renew redact automate standardize "
    "standardise centralize centralise consolidate rename delete mandate turn"
).split()
# Deliberately absent: review, update, implement, monitor, improve, complete, perform, conduct, run, change.
# They say that something will happen, not what: "implement controls", "review and update".

_FREQUENCIES = frozenset(
    "daily weekly monthly quarterly annually annual yearly biweekly bi-weekly fortnightly hourly nightly "
    "semiannually semiannual "
    "semi-annually biannually twice-yearly monday mondays tuesday tuesdays wednesday wednesdays thursday "
    "thursdays friday fridays saturday saturdays sunday sundays".split()
)
_RECURRING_WORDS = frozenset({"every", "each", "per", "once", "twice"})
_RECURRING = re.compile(
    r"\b(?:every|each|per|once an?|twice an?|once per)\s+(?:\d+\s+)?(?:day|week|month|quarter|year|shift|sprint|"
    r"business day|weekday|hour|morning|evening|night)s?\b"
)

# Things that can be shown to an assessor afterwards.
_ARTEFACTS = frozenset(
    """log logs ticket tickets report reports procedure procedures gpo gpos baseline baselines record records
    screenshot screenshots export exports evidence sign-off signoff register inventory diagram diagrams ssp
    checklist checklists attestation attestations policy policies runbook runbooks playbook playbooks plan plans
    script scripts template templates form forms spreadsheet minutes certificate certificates receipt receipts
    invoice invoices sop sops standard matrix roster sign-in acknowledgement acknowledgment acknowledgements
    acknowledgments banner configuration configurations setting settings rule rules ruleset profile profiles
    image images rollout audit-log change-request cr crs ticketing jira servicenow calendar agenda roster rosters
    worksheet workbook list lists attestation sheet sheets scan scans results assessment assessments exercise
    exercises""".split()
)

# Products and technologies that are lower-cased in people's text often enough to list.
_PRODUCTS = frozenset(
    """duo okta entra intune autopilot splunk sentinel bitlocker filevault crowdstrike falcon defender knowbe4
    nessus tenable qualys rapid7 jamf veeam sophos fortinet fortigate paloalto meraki cisco azure aws gcc
    m365 o365 sharepoint onedrive purview wazuh graylog datadog sumo logrhythm qradar
    arcticwolf huntress sentinelone carbonblack webroot malwarebytes bitdefender eset lastpass
    1password bitwarden cyberark thycotic delinea yubikey yubikeys fido2 smartcard piv cac windows macos linux
    ubuntu rhel vmware hyper citrix vpn globalprotect anyconnect wireguard ipsec tls ssh sftp ftps https
    openssl fips ldap kerberos radius saml sso mdm edr xdr siem dlp nac waf pam mfa 2fa totp
    gpo wsus sccm mecm ansible puppet chef terraform github gitlab bitbucket slack zoom
    proofpoint mimecast barracuda ironscales ninjaone ninjarmm connectwise datto kaseya n-able
    atera manageengine lansweeper snipe""".split()
)

# Capitalised or upper-case words that name nothing in particular: standards, the subject matter itself.
_NAMED_STOPWORDS = frozenset(
    """it nist cmmc dfars dfar far cui fci sp poa poam poa&m dod sprs tbd tba tbc na n/a asap eta id ok us usa
    the a an and or of to for in on with by at as all any this that these those we our will shall must be is
    are i ii iii iv l1 l2 l3 rev r2 ac at au cm ia ir ma mp ps pe ra ca sc si org company organization
    organisation""".split()
)

# Ordinary words that often come capitalised in spreadsheets ("Implement Security Controls").
_COMMON_WORDS = frozenset(
    """security controls control monitoring access data system systems network networks policy policies
    procedure procedures process processes users user accounts account information management compliance
    requirement requirements finding findings issue issues gap gaps weakness weaknesses risk risks
    vulnerability vulnerabilities team staff personnel employees training awareness incident incidents
    response plan plans review reviews update updates change changes configuration physical media
    maintenance assessment audit accountability identification authentication protection integrity
    communications personnel environment devices device servers server workstations laptops mobile remote
    privileged wireless external public boundary session sessions password passwords software hardware
    cloud email backup backups program documentation document documents level please note see also january
    february march april may june july august september october november december jan feb mar apr jun jul aug
    sep sept oct nov dec q1 q2 q3 q4 fy""".split()
)


def _inflections(verb: str) -> set[str]:
    stem = verb[:-1] if verb.endswith("e") else verb
    forms = {verb, verb + "s", verb + "ed", verb + "d", stem + "ing", verb + "es", verb + "ment", verb + "ments"}
    if verb.endswith("y") and verb[-2] not in "aeiou":
        forms |= {verb[:-1] + "ies", verb[:-1] + "ied"}
    if len(verb) > 2 and verb[-1] in "bgnpt" and verb[-2] in "aeiou" and verb[-3] not in "aeiou":
        forms |= {verb + verb[-1] + "ed", verb + verb[-1] + "ing"}  # scan -> scanned, log -> logged
    return forms


def _forms(*verbs: str) -> frozenset[str]:
    return frozenset(form for verb in verbs for form in _inflections(verb))


ACTION_WORDS = _forms(*_ACTION_VERBS) | {"setup"}
_KNOWN_LOWER = ACTION_WORDS | _ARTEFACTS | _FREQUENCIES | _NAMED_STOPWORDS | _COMMON_WORDS

# Words that are vague wherever they stand: "improve monitoring", "enhance security", "TBD".
_VAGUE_WORDS = _forms("improve", "enhance", "strengthen", "optimize", "optimise", "bolster", "tighten") | frozenset(
    """improvement improvements tbd tba tbc asap etc ongoing appropriate appropriately adequate adequately
    sufficient sufficiently investigate investigates investigated investigating investigation explore
    explored exploring consider considered considering""".split()
)
# Vague phrases, each with the words one of which it must contain: a regex runs only when a word is present,
# because running one alternation over every remediation costs more than all the other checks together.
_FINDING = r"(?:finding|issue|gap|weakness|deficienc|vulnerabilit|concern|requirement|control|problem|risk)\w*"
_VAGUE_PHRASES = tuple(
    (triggers, re.compile(pattern))
    for triggers, pattern in (
        (_forms("address"), rf"address\w*\s+(?:(?:the|this|these|all|any|identified|above)\s+)*{_FINDING}"),
        (
            _forms("remediate"),
            r"remediat\w*\s+(?:as\s+(?:needed|required|appropriate|necessary)|accordingly|"
            r"(?:(?:the|this|these|all|any|identified)\s+)*(?:finding|issue|gap|weakness|deficienc|problem)\w*)",
        ),
        (
            _forms("implement"),
            r"implement\w*\s+(?:(?:the|appropriate|necessary|required|adequate|additional|proper|security|needed|"
            r"relevant|applicable|new|missing|all)\s+)*(?:controls?|measures|safeguards|solutions?|requirements?|"
            r"best\s+practices?|changes|fix(?:es)?|remediation)\b",
        ),
        (_forms("review"), r"review\w*\s+(?:and|&)\s+(?:update|revise|improve)\w*"),
        (frozenset({"determined", "decided", "confirmed"}), r"to\s+be\s+(?:determined|decided|confirmed)"),
        (
            frozenset({"needed", "required", "necessary", "applicable"}),
            r"\b(?:as|if)\s+(?:needed|required|necessary|applicable)\b",
        ),
        (
            frozenset({"possible", "feasible", "permits", "practicable"}),
            r"when\s+(?:possible|feasible|time\s+permits)|as\s+soon\s+as\s+(?:possible|practicable|feasible)",
        ),
        (_forms("ensure"), r"ensure\w*\s+(?:compliance|security|that\s+(?:the\s+)?(?:controls?|requirements?))"),
        (
            frozenset({"compliant", "comply", "compliance"}),
            r"(?:become|be|achieve|maintain)\s+compliant|compl(?:y|iance)\s+with",
        ),
        (frozenset({"practice", "practices"}), r"best\s+practices?"),
        (frozenset({"industry"}), r"industry\s+standards?"),
        (_forms("continue") | {"continual", "continually"}, r"continu\w*\s+(?:to\s+)?monitor\w*"),
        (frozenset({"work", "working"}), r"\bwork(?:ing)?\s+(?:on|towards?|with)\b"),
        (frozenset({"look", "looking"}), r"\blook(?:ing)?\s+into\b"),
        (_forms("evaluate"), r"evaluat\w*\s+(?:options|solutions|alternatives)"),
        (
            frozenset("issue issues finding findings gap gaps problem problems weakness weaknesses".split()),
            r"(?:fix|resolv|correct|mitigat|handl)\w*\s+(?:(?:the|this|these|any|all|identified)\s+)*"
            r"(?:issue|finding|gap|problem|weakness)\w*",
        ),
        (frozenset({"so"}), r"\band\s+so\s+on\b"),
        (frozenset({"progress"}), r"\bin\s+progress\b"),
    )
)
_VAGUE_TRIGGERS = _VAGUE_WORDS.union(*(triggers for triggers, _ in _VAGUE_PHRASES))
_PHRASES_BY_TRIGGER: dict[str, tuple[re.Pattern[str], ...]] = {
    word: tuple(pattern for triggers, pattern in _VAGUE_PHRASES if word in triggers) for word in _VAGUE_TRIGGERS
}
_KNOWN_LOWER |= _VAGUE_TRIGGERS

# ASCII punctuation becomes a word break: "log-review" holds the artefact "log", "3.1.1" holds no word.
# Words are compared as bytes: bytes.translate and bytes.split are several times cheaper than their str
# counterparts, and tokenising is most of the cost of a remediation never seen before. UTF-8 leaves every
# non-ASCII byte alone, so "Tomás" stays one word.
_PUNCTUATION = "!\"#$%'()*,-./:;<=>?@[\\]^_`{|}~"
_SEPARATORS = bytes.maketrans(_PUNCTUATION.encode(), b" " * len(_PUNCTUATION))
# The same, lower-casing ASCII letters as it goes (what bytes.lower() does): one pass instead of two.
_LOWERED_SEPARATORS = bytes.maketrans(_PUNCTUATION.encode() + bytes(range(65, 91)),
                                      b" " * len(_PUNCTUATION) + bytes(range(97, 123)))
_UNICODE_SEPARATORS = "\u2018\u2019\u201c\u201d\u2013\u2014\u2022\u00a0"


def _b(words) -> frozenset[bytes]:
    return frozenset(word.encode() for word in words)


_ACTION_B = _b(ACTION_WORDS)
_ARTEFACTS_B = _b(_ARTEFACTS)
_PRODUCTS_B = _b(_PRODUCTS)
_SPECIFIC_B = _ARTEFACTS_B | _PRODUCTS_B
_FREQUENCIES_B = _b(_FREQUENCIES)
_RECURRING_B = _b(_RECURRING_WORDS)
_NAMED_STOPWORDS_B = _b(_NAMED_STOPWORDS)
_KNOWN_LOWER_B = _b(_KNOWN_LOWER)
_VAGUE_WORDS_B = _b(_VAGUE_WORDS)
_VAGUE_TRIGGERS_B = _b(_VAGUE_TRIGGERS)
_PHRASES_BY_TRIGGER_B = {word.encode(): patterns for word, patterns in _PHRASES_BY_TRIGGER.items()}

# A capitalised word at the start of a sentence is no sign of a name.
_SENTENCE_START = re.compile(r"(?:^|[.;:!?]\s+)\W*([A-Z][\w&+]*)")
# Numbers that say how much or when, and the references that do not ("NIST SP 800-171 3.1.1", "Level 2").
_NUMBER_TOKEN = re.compile(r"(?<![\w.\-\[\]])[\w.\-\[\]]*\d[\w.\-\[\]]*")
_REFERENCE_TOKEN = re.compile(
    r"(?:800-\d+\w*|(?:[a-z]{2}\.l[123]-)?3\.\d{1,2}\.\d{1,2}(?:\[\w+\])*|l[123]|r2|[\d.]*-\d+)"
)
_REFERENCE_WORDS = ("level", "rev", "revision", "sp", "cmmc", "dfars", "far")


def _spaced(text: str) -> bytes:
    """The text as UTF-8 with punctuation turned into spaces, case kept."""
    if not text.isascii():
        for char in _UNICODE_SEPARATORS:  # str.replace: str.translate is slow on non-ASCII text
            if char in text:
                text = text.replace(char, " ")
    return text.encode().translate(_SEPARATORS)


_VERDICTS: dict[str, str | None] = {}
_VERDICTS_LIMIT = 1 << 14
_UNJUDGED = object()


def vague_remediation(text: str) -> str | None:
    """Why a remediation is too vague to accept, or None when it is specific enough.

    The reason names what is missing; the caller turns it into a message. Cached: the same remediations recur
    across a POA&M ("Implement controls" on every row) and across the files an MSP lints. The cache is bounded
    (16,384 texts, then started afresh) because it keeps the texts alive in a long-running web process; it is
    a plain dictionary, as an LRU cache's bookkeeping costs more than judging a text most POA&Ms never repeat.
    The most common good plan is told before the cache is looked at, and is not kept in it.
    """
    if len(text) >= 40:
        # The common good plan, a concrete action first and a record or product last ("Deploy ... as
        # evidence"), is told in a few C calls: cheaper than hashing a long text for the cache (see _judge).
        lowered = text.encode().translate(_LOWERED_SEPARATORS) if text.isascii() else _spaced(text).lower()
        if not _ACTION_B.isdisjoint(lowered.split(None, 3)[:3]) and not _SPECIFIC_B.isdisjoint(
                lowered.rsplit(None, 3)[-3:]):
            return None
    verdict = _VERDICTS.get(text, _UNJUDGED)
    if verdict is _UNJUDGED:
        verdict = _judge(text)
        if len(_VERDICTS) >= _VERDICTS_LIMIT:
            _VERDICTS.clear()
        _VERDICTS[text] = verdict
    return verdict


def _judge(text: str) -> str | None:
    if len(text) < 40:
        short = " ".join(text.lower().split()).strip(" .;:,!-*")
        if short in PLACEHOLDERS or len(short) < 3:
            return "is a placeholder, not a plan"
    spaced = text.encode().translate(_SEPARATORS) if text.isascii() else _spaced(text)
    lowered = spaced.lower()
    # A concrete action with a record or a named product is two signals of *what*, one of them an action:
    # specific enough whatever else the text says (the judgement below comes to None for it too), so the
    # most common good plan is passed without looking for vague phrases. A good plan mostly starts with its
    # action and ends with its record ("Deploy ... as evidence"): those words are looked at first, alone.
    if not _ACTION_B.isdisjoint(lowered.split(None, 3)[:3]) and not _SPECIFIC_B.isdisjoint(
            lowered.rsplit(None, 3)[-3:]):
        return None
    words = lowered.split()
    if not _ACTION_B.isdisjoint(words) and not _SPECIFIC_B.isdisjoint(words):
        return None
    vague = None
    if not _VAGUE_TRIGGERS_B.isdisjoint(words):
        vague = _vague_phrase(text.lower(), words, _VAGUE_TRIGGERS_B.intersection(words))
    if vague is None and len(words) >= 3:
        # The common case, kept cheap: one sign of *what* is enough.
        if (
            not _ACTION_B.isdisjoint(words)
            or not _ARTEFACTS_B.isdisjoint(words)
            or not _PRODUCTS_B.isdisjoint(words)
            or _names_by_capitals(text, spaced, words)
        ):
            return None
        return "names no concrete action, tool or record"

    # A vague phrase, or only one or two words: two signals are needed, one of them a *what*; against a vague
    # phrase, one of them a concrete action ("Review and update ERP policies" names things but does nothing).
    action = not _ACTION_B.isdisjoint(words)
    what = action + (not _ARTEFACTS_B.isdisjoint(words)) + (
        not _PRODUCTS_B.isdisjoint(words) or _names_by_capitals(text, spaced, words)
    )
    if what == 0:
        if vague:
            return f"says '{vague}' but names no action, tool or record"
        return "names no concrete action, tool or record"
    if vague and not action:
        return f"says '{vague}' but names no concrete action"
    if what >= 2 or what + _count_how(text.lower(), words) >= 2:
        return None
    if vague:
        return f"says '{vague}' with too little detail to show what will be done"
    return "is too short to say what will be done and how it will be shown"


def _vague_phrase(lowered: str, words: list[bytes], triggers: set[bytes]) -> str | None:
    """The first vague word or phrase of the text, or None."""
    if not _VAGUE_WORDS_B.isdisjoint(triggers):
        return next(word for word in words if word in _VAGUE_WORDS_B).decode()
    for word in triggers:
        for pattern in _PHRASES_BY_TRIGGER_B[word]:
            match = pattern.search(lowered)
            if match:
                return " ".join(match.group(0).split())
    return None


def _count_how(lowered: str, words: list[bytes]) -> int:
    """Signals of *how* or *when*: a recurring rhythm, and numbers or dates that are not standard references."""
    how = 0
    if not _FREQUENCIES_B.isdisjoint(words) or (not _RECURRING_B.isdisjoint(words) and _RECURRING.search(lowered)):
        how += 1
    for match in _NUMBER_TOKEN.finditer(lowered):
        token = match.group(0).strip(".-")
        if _REFERENCE_TOKEN.fullmatch(token):
            continue
        before = lowered[max(0, match.start() - 10) : match.start()].split()
        if before and before[-1] in _REFERENCE_WORDS:
            continue
        return how + 1
    return how


def _names_by_capitals(text: str, spaced: bytes, words: list[bytes]) -> bool:
    """A product, technology or person named by its capitals: SIEM, BitLocker, Marcus Lee, Entra."""
    if text.islower() or text.isupper():
        return False  # no capitals, or SHOUTED TEXT in which every word looks like an acronym
    tokens = spaced.split()
    candidates = []
    for token in set(tokens).difference(words):  # the tokens with a capital letter
        lowered = token.lower()
        if lowered in _NAMED_STOPWORDS_B:
            continue
        if token[1:] != lowered[1:]:
            return True  # two or more capitals: an acronym or a product (MFA, BitLocker, KnowBe4)
        if lowered not in _KNOWN_LOWER_B:
            candidates.append(token)
    if not candidates:
        return False
    # In Title Case Text every word is capitalised, so a capital says nothing about a name.
    if sum(1 for token in tokens if token[:1].isupper()) * 2 > len(tokens):
        return False
    candidates = [token for token in candidates if token != tokens[0]]
    if not candidates:
        return False
    if not any(mark in text for mark in ".;:!?"):
        return True
    initial = {word.encode() for word in _SENTENCE_START.findall(text)}
    return any(token not in initial for token in candidates)
