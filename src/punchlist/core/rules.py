"""The rules the checks and the score implement, in plain words, by id.

Screens speak plainly and keep the ids out of their sentences; a "why" link beside a sentence leads to the
rule here, with the source an assessor would cite (``../shared/reference/cmmc-rules.md`` has the full text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    says: str  # the rule, in one plain sentence
    source: str  # where it comes from


RULES: dict[str, Rule] = {rule.id: rule for rule in (
    Rule("R-STD-1", "CMMC Level 2 assesses the 110 requirements of NIST SP 800-171 Rev 2.", "32 CFR 170.14(c)(3)"),
    Rule("R-STD-2", "Level 1 is the 15 FAR 52.204-21 requirements, which map to 17 Rev 2 requirements.",
         "32 CFR 170.14(c)(2)"),
    Rule("R-STD-4", "Rev 3 is published, but CMMC still assesses Rev 2.", "DoD class deviation 2024-O0013"),
    Rule("R-FIND-1", "A requirement is MET only when every one of its objectives is met, with evidence.",
         "NIST SP 800-171A; CMMC Assessment Guide L2"),
    Rule("R-FIND-2", "N/A counts as MET.", "CMMC Assessment Guide L2"),
    Rule("R-FIND-3", "An enduring exception described in the SSP with its mitigations is MET.",
         "CMMC Assessment Guide L2"),
    Rule("R-FIND-5", "A requirement on a POA&M stays NOT MET until it is implemented; a POA&M is not a "
                     "substitute for implementing it.", "32 CFR 170.21; CMMC Assessment Guide L2"),
    Rule("R-SCORE-1", "The score starts at 110 and loses each NOT MET requirement's points (5, 3 or 1).",
         "DoD Assessment Methodology"),
    Rule("R-SCORE-2", "Only two requirements give partial credit: 3.5.3 (MFA for remote and privileged users "
                      "only) and 3.13.11 (encryption that is not FIPS-validated).", "DoD Assessment Methodology"),
    Rule("R-SCORE-3", "Without a System Security Plan (3.12.4 NOT MET) there is no score.",
         "DoD Assessment Methodology"),
    Rule("R-SCORE-4", "A NOT MET requirement with no plan of action makes 3.12.2 NOT MET as well.",
         "DoD Assessment Methodology"),
    Rule("R-SCORE-5", "Scores run from 110 down to -203.", "DoD Assessment Methodology"),
    Rule("R-POAM-1", "A Level 1 self-assessment may never have a POA&M.", "32 CFR 170.21(a)(1)"),
    Rule("R-POAM-2", "Conditional Level 2 status needs a score of at least 88 (80 % of 110).",
         "32 CFR 170.21(a)(2)"),
    Rule("R-POAM-3", "No requirement worth more than 1 point may be on a POA&M, except 3.13.11 with encryption "
                     "employed but not FIPS-validated.", "32 CFR 170.21(a)(2)(iii)"),
    Rule("R-POAM-4", "Six requirements may never be on a POA&M: 3.1.20, 3.1.22, 3.10.3, 3.10.4, 3.10.5 and "
                     "3.12.4.", "32 CFR 170.21(a)(2)(iii)"),
    Rule("R-POAM-5", "Conditional status needs every NOT MET requirement to be one a POA&M may hold.",
         "32 CFR 170.21(a)(2)"),
    Rule("R-CLOSE-1", "Every POA&M item must be closed out within 180 days of the Conditional status date, or "
                      "the Conditional status expires.", "32 CFR 170.21(b)"),
    Rule("R-CLOSE-3", "The CMMC Status Date is the day the results are submitted.", "32 CFR 170.4"),
    Rule("R-CLOSE-4", "The operational plan of action of 3.12.2 is not the assessment's POA&M.",
         "CMMC Assessment Guide L2"),
    Rule("R-AFF-3", "Evidence used for an assessment is kept for six years from the CMMC Status Date.",
         "32 CFR 170.9(b)(9)"),
    Rule("R-CONT-1", "A plan of action starts from the deficiency it corrects and says how it is corrected.",
         "NIST SP 800-171A 3.12.2"),
    Rule("R-CONT-2", "A plan of action says how the unimplemented requirement will be met.",
         "NIST SP 800-171 Rev 2, 3.12.2"),
    Rule("R-CONT-3", "Each item names its owner, specific steps, milestones and dates, and is kept up to date "
                     "as the work proceeds.", "CMMC Assessment Guide L2, 3.12.2"),
    Rule("R-CONT-4", "A POA&M lists the tasks, the resources they need, the milestones and the completion "
                     "dates.", "32 CFR 170.4 (after NIST SP 800-115)"),
    Rule("R-CONT-5", "Assessors examine the POA&M against the requirements it answers.", "NIST SP 800-171A"),
)}

RULE_ID = re.compile(r"R-[A-Z0-9]+-\d+")
# A rule cited in a sentence: "(R-POAM-3)", "(R-CONT-3, R-CONT-4)", "(R-CONT-3: the plan is kept up to date)",
# ", R-AFF-3)" after other words, or "R-CLOSE-1: " at the start of a message.
_CITED = re.compile(r"\s*\((?:R-[A-Z0-9]+-\d+(?:\s*(?:,|and)\s*)?)+(?::\s*([^()]*))?\)"
                    r"|,\s*(?=R-[A-Z0-9]+-\d+\))(?:R-[A-Z0-9]+-\d+)"
                    r"|^R-[A-Z0-9]+-\d+:\s*")


def plain(text: str) -> tuple[str, list[Rule]]:
    """``text`` without the rule ids cited in it, and the rules it cited (in order, once each). A citation
    that carried words of its own, "(R-CONT-3: the plan is kept up to date)", keeps them: "(the plan ...)"."""
    cited = list(dict.fromkeys(RULE_ID.findall(text)))
    if not cited:
        return text, []

    def replace(match):
        words = match.group(1)
        return f" ({words.strip()})" if words else ""

    said = _CITED.sub(replace, text)
    said = RULE_ID.sub("", said)  # any left where no pattern above fits, e.g. "AG L2 3.12.2, R-CONT-3)"
    said = re.sub(r"\(\s*,?\s*\)", "", said)
    said = re.sub(r",\s*\)", ")", said)
    said = re.sub(r"\s+([.,;:])", r"\1", said)
    said = re.sub(r"\s{2,}", " ", said).strip()
    return said, [RULES[rule] for rule in cited if rule in RULES]
