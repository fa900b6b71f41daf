"""Generated POA&Ms and self-assessments, large and varied enough that no cache flatters the figures."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from openpyxl import Workbook

from punchlist.core.catalog import load_catalog

GENERATOR_VERSION = 3
AS_OF = date(2026, 11, 23)  # the day the benchmark lints as of

FIRST = ["Marcus", "Priya", "Dana", "Tom", "Elena", "Sam", "Aisha", "Ben", "Carla", "Devon", "Farah", "Greg",
         "Hana", "Ivan", "Jun", "Kofi", "Lena", "Mateo", "Nora", "Omar"]
LAST = ["Lee", "Shah", "Whitfield", "Okafor", "Ruiz", "Patel", "Khan", "Novak", "Berg", "Ito"]
TITLES = ["IT Operations Lead", "Security Analyst", "Facilities Manager", "HR Manager", "Engineering Manager",
          "Network Engineer", "Systems Administrator"]
ASSETS = ["enclave laptops", "engineering workstations", "file servers", "CNC controller PCs", "FortiGate firewalls",
          "Synology backup shares", "Entra ID accounts", "shop-floor terminals", "GCC High mailboxes", "VPN gateways"]
PROBLEMS = ["are missing the {kb} cumulative update", "accept passwords shorter than 14 characters",
            "do not forward Windows event logs to the SIEM", "have USB mass storage enabled",
            "run services without a documented baseline", "allow local administrator rights for standard users",
            "have no screen lock after 15 minutes", "store CUI without encryption at rest"]
ACTIONS = ["Deploy the {kb} update through an Intune expedited ring to {n} {asset}",
           "Enforce a 14-character password policy with Entra ID on {n} {asset}",
           "Install the Blumira agent on {n} {asset} and confirm events arrive",
           "Block USB mass storage with an Intune device control policy on {n} {asset}",
           "Apply the CIS Level 1 baseline GPO to {n} {asset}",
           "Remove local administrator rights from standard users on {n} {asset} with LAPS",
           "Set a 15-minute screen lock through Intune on {n} {asset}",
           "Enable BitLocker with XTS-AES 256 on {n} {asset}"]
PROOF = ["export the Intune compliance report as evidence", "attach the clean Nessus re-scan as evidence",
         "keep the change ticket and screenshots as evidence", "record the check in the weekly log-review ticket"]
STATUSES = ["Open", "In Progress", "Open", "In Progress", "Ready for Verification", "Closed"]
SEVERITIES = ["Low", "Moderate", "High", "Critical"]

POAM_HEADERS = ["POA&M ID", "NIST 800-171 Control", "Weakness", "Remediation Plan", "Point of Contact",
                "Supporting Owner", "Approver", "Evidence Custodian", "Office/Org", "Resources Required",
                "Start Date", "Scheduled Completion", "Milestones", "Status", "Severity", "Completion Date",
                "Evidence", "Last Updated"]


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}, {rng.choice(TITLES)}"


def poam_rows(count: int, seed: int = 171):
    rng = random.Random(seed)
    eligible = [r for r in load_catalog() if r.poam_eligibility.value == "yes"]
    for n in range(1, count + 1):
        requirement = rng.choice(eligible)
        kb = f"KB50{rng.randrange(10000, 99999)}"
        asset, size = rng.choice(ASSETS), rng.randrange(2, 400)
        # A living POA&M: started in the last half year, mostly due ahead, updated in the last fortnight.
        start = AS_OF - timedelta(days=rng.randrange(0, 180))
        due = start + timedelta(days=rng.randrange(60, 330))
        status = rng.choice(STATUSES)
        lines = []
        for i in range(1, rng.randrange(1, 4) + 1):
            when = start + timedelta(days=(due - start).days * i // 4)
            done = f" [done {when.isoformat()}]" if when < AS_OF and rng.random() < 0.9 else ""
            verb = rng.choice(["Pilot on", "Roll out to", "Verify on"])
            lines.append(f"({i}) {when.isoformat()}: {verb} {rng.randrange(1, size + 1)} {asset}{done}")
        milestones = "\n".join(lines)
        yield [
            f"POAM-{requirement.family}-{n:06d}",
            requirement.cmmc_id if n % 2 else requirement.id,
            f"{size} {asset} {rng.choice(PROBLEMS).format(kb=kb)} (finding {n})",
            f"{rng.choice(ACTIONS).format(kb=kb, n=size, asset=asset)}; {rng.choice(PROOF)}.",
            _person(rng), _person(rng), _person(rng), _person(rng),
            rng.choice(["IT Operations", "Engineering", "Facilities", "Harbor Cyber (MSP)"]),
            f"{rng.randrange(2, 80)} staff hours",
            start, due, milestones, status, rng.choice(SEVERITIES),
            max(start, AS_OF - timedelta(days=rng.randrange(1, 30))) if status == "Closed" else None,
            f"Intune compliance report {n}.pdf" if status == "Closed" else None,
            AS_OF - timedelta(days=rng.randrange(0, 15)),
        ]


def assessment_rows(count: int, seed: int = 110):
    """Objective-level rows for many systems: the shape of a large MSP's combined self-assessment."""
    rng = random.Random(seed)
    catalog = list(load_catalog())
    objectives = [(r, chr(ord("a") + i)) for r in catalog for i in range(r.objectives)]
    for n in range(count):
        requirement, letter = objectives[n % len(objectives)]
        status = "Implemented" if rng.random() < 0.97 else "Not Implemented"
        if requirement.id == "3.12.4":
            status = "Implemented"
        yield [f"{requirement.cmmc_id}[{letter}]", f"System {n // len(objectives) + 1}", status,
               f"Statement {n}: enforced through Intune and Entra ID on the enclave."]


def write_xlsx(path: Path, headers: list[str], rows) -> Path:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("POA&M")
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def poam_file(folder: Path, count: int, generate: bool = True) -> Path:
    path = folder / f"poam-{count}-v{GENERATOR_VERSION}.xlsx"
    return path if path.exists() or not generate else write_xlsx(path, POAM_HEADERS, poam_rows(count))


def assessment_file(folder: Path, count: int, generate: bool = True) -> Path:
    path = folder / f"assessment-{count}-v{GENERATOR_VERSION}.xlsx"
    headers = ["Requirement", "System", "Status", "Implementation Statement"]
    return path if path.exists() or not generate else write_xlsx(path, headers, assessment_rows(count))
