"""The demo organization: Ridgeline Precision Machining, a fictional 45-person machine shop, with people in
every role and four months of history, all written through the register's own services and imports.

The story runs under a demo clock (``history_clock``): each step is taken on its day, so the audit trail,
the items' dates and every check of the services ("a milestone is not done in the future", "closure needs
evidence") see the day the step happened, not the day the demo was set up. The services read the time in one
place, ``django.utils.timezone.now`` (directly, through ``localdate``, and as model field defaults); the demo
clock stands in for it while the story is written and for nothing else.

The example files describe the organization as of ``FILES_AS_OF``; every date in them is moved by the days
between that day and today, so the demo always looks current.
"""

from __future__ import annotations

import dataclasses
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from unittest import mock

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

ORG_NAME = "Ridgeline Precision Machining"
ORG_SLUG = "ridgeline"
FILES_AS_OF = date(2026, 11, 23)
PASSWORD = "ridgeline demo password"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"  # installed with the package
ASSESSMENT_FILE = "ridgeline-assessment.csv"
POAM_FILE = "ridgeline-poam.csv"
# Priya's managed-service provider and its two small clients: requirement -> (what to do, due in days).
PROVIDER_NAME = "Harbor Cyber"
PROVIDER_SLUG = "harbor-cyber"
PROVIDER_CLIENTS = {
    "Cobalt Fasteners": {"3.1.8": ("Lock accounts after five failed logons", -12),
                         "3.1.10": ("Lock idle sessions after 15 minutes", 40)},
    "Northfield Coatings": {"3.3.7": ("Sync every clock to the domain's time source", 9),
                            "3.5.8": ("Refuse the last 24 passwords", 75),
                            "3.8.9": ("Encrypt the offsite backups", -3)},
}
MARKER = "demo-register"  # in the data folder: `punchlist totp` answers only for a demo register


@dataclass(frozen=True)
class Person:
    username: str
    first_name: str
    last_name: str
    role: str
    title: str

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


PEOPLE = [
    Person("marcus", "Marcus", "Lee", "admin", "IT Operations Lead"),
    Person("priya", "Priya", "Shah", "coordinator", "vCISO, Harbor Cyber (the MSP)"),
    Person("dana", "Dana", "Whitfield", "approver", "President"),
    Person("sam", "Sam", "Patel", "owner", "Engineering Manager"),
    Person("elena", "Elena", "Ruiz", "owner", "HR Manager"),
    Person("tom", "Tom", "Okafor", "owner", "Facilities Manager"),
    Person("alex", "Alex", "Morgan", "viewer", "assessor, read-only"),
]


@dataclass
class Demo:
    organization: object
    people: list[Person]
    secrets: dict[str, str] = field(default_factory=dict)  # username -> TOTP secret
    created: bool = False


# --- the clock --------------------------------------------------------------------------------------------

class DemoClock:
    """The time the services see while the story is written: set per step, moving forward only."""

    def __init__(self):
        self.current = None

    def now(self):
        return self.current

    def set(self, moment: datetime) -> None:
        if self.current is not None and moment < self.current:
            raise ValueError(f"the demo story goes back in time: {moment} after {self.current}")
        self.current = moment


@contextmanager
def history_clock():
    """Stand in for ``django.utils.timezone.now`` (the module function and the model fields whose default it
    is) until the block ends."""
    clock = DemoClock()
    real = timezone.now
    fields = [f for model in apps.get_models() for f in model._meta.concrete_fields if f.default is real]
    with mock.patch.object(timezone, "now", clock.now):
        for f in fields:
            f.default = clock.now
            f.__dict__.pop("_get_default", None)
        try:
            yield clock
        finally:
            for f in fields:
                f.default = real
                f.__dict__.pop("_get_default", None)


# --- reading the example files, moved to today ---------------------------------------------------------

def _moved(value, days: timedelta):
    return value + days if isinstance(value, date) else value


def _initial_poam(poam, days: timedelta):
    """The POA&M as it stood when first brought in: every row open, nothing done yet, each date as first
    planned. The story below then does, slips and closes what the file shows done, slipped and closed."""
    from punchlist.core.records import ItemStatus

    first_plans = {("POAM-SC-001", "Roll out to all 38 endpoints"): date(2026, 11, 27)}
    first_completion = {"POAM-SC-001": date(2027, 1, 15)}
    items = []
    for record in poam.items:
        milestones = [dataclasses.replace(m, due=_moved(first_plans.get((record.id, m.description), m.due), days),
                                          done_on=None) for m in record.milestones]
        items.append(dataclasses.replace(
            record, status=ItemStatus.OPEN, completion_date=None, evidence="", milestones=milestones,
            start_date=_moved(record.start_date, days),
            scheduled_completion=_moved(first_completion.get(record.id, record.scheduled_completion), days),
            last_updated=None))
    return dataclasses.replace(poam, items=items)


# --- the story ------------------------------------------------------------------------------------------

class Story:
    def __init__(self, clock: DemoClock, today: date, examples: Path):
        self.clock = clock
        self.today = today
        self.examples = examples
        self.days = today - FILES_AS_OF  # the files' dates, moved so that their day is today
        self.users = {}
        self.org = None
        self.assessment = None

    def on(self, day: date, hour: int = 9, minute: int = 0) -> None:
        self.clock.set(timezone.make_aware(datetime.combine(day, time(hour, minute))))

    def back(self, days: int) -> date:
        return self.today - timedelta(days=days)

    def file_day(self, month: int, day: int, year: int = 2026) -> date:
        return date(year, month, day) + self.days

    def item(self, identifier):
        from punchlist.register.models import PoamItem

        return PoamItem.objects.get(organization=self.org, identifier=identifier)

    def milestone(self, identifier, description):
        return self.item(identifier).milestones.get(description=description)

    def u(self, username):
        return self.users[username]

    # The chapters, in the order they happened.

    def founding(self) -> None:
        from punchlist.orgs import services as orgs
        from punchlist.orgs.models import Role

        self.on(self.back(120), 8, 30)
        for person in PEOPLE:
            self.users[person.username] = orgs.create_user(
                person.username, password=PASSWORD, first_name=person.first_name, last_name=person.last_name,
                email=f"{person.username}@ridgeline.example")
        marcus = self.u("marcus")
        self.org = orgs.create_organization(name=ORG_NAME, first_admin=marcus, slug=ORG_SLUG)
        self.on(self.back(120), 8, 45)
        for person in PEOPLE:
            if person.username not in ("marcus", "alex"):
                orgs.add_member(marcus, self.org, self.u(person.username), Role(person.role))

    def assessment_and_scope(self) -> None:
        from punchlist.core.records import Determination
        from punchlist.interchange import read_assessment
        from punchlist.register import services
        from punchlist.register.imports import import_assessment

        priya = self.u("priya")
        self.on(self.back(118), 10)
        scope = services.create_scope(
            priya, self.org, name="CUI enclave",
            description="The engineering enclave: 38 Intune-managed laptops, the file server and the CAD "
                        "workstations on the CNC floor, behind the FortiGate.",
            cui_locations="Drawings and specifications from the prime: file server share \\\\fs01\\cui, the CAD "
                          "workstations, and the encrypted backup at Harbor Cyber.")
        results = read_assessment(self.examples / ASSESSMENT_FILE)
        # Two gaps found at the assessment and fixed since (OPA-PS-001, OPA-PE-001 below).
        found_then = {"3.9.2", "3.10.4"}
        results = [dataclasses.replace(r, determination=Determination.NOT_MET, implementation="On the POA&M.")
                   if r.requirement in found_then else r for r in results]
        self.statements = {r.requirement: r.implementation
                           for r in read_assessment(self.examples / ASSESSMENT_FILE)}
        self.on(self.back(112), 14)
        self.assessment = import_assessment(priya, self.org, results, file=ASSESSMENT_FILE,
                                            assessed_on=self.back(112), scope=scope,
                                            title="Self-assessment with Harbor Cyber")

    def own_items(self) -> None:
        """Two findings of the assessment that the shop worked on before its POA&M spreadsheet came in: neither
        requirement may ever be on a POA&M (3.9.2 and 3.10.4), so they are remediation work, operational plan of
        action items, not assessment POA&M items."""
        from punchlist.register import services

        priya = self.u("priya")
        self.on(self.back(110), 11)
        services.create_item(
            priya, self.org, requirements=["3.9.2"], assessment=self.assessment, status="open",
            kind="operational_plan",
            title="Accounts of people who leave stay enabled for days",
            weakness="Accounts of leavers are disabled when IT hears about it, 3 to 9 days after the last day in "
                     "the three cases sampled; CUI stays reachable with a leaver's credentials meanwhile.",
            severity="high",
            remediation="Make HR's termination date drive the account: the offboarding checklist has IT disable "
                        "the Entra ID account on the last day, and an Entra ID lifecycle workflow disables it "
                        "automatically at the termination date; keep the monthly leavers report as evidence.",
            responsible_unit="Human Resources", resources="6 staff hours; Entra ID Governance licence (budgeted)",
            primary_owner=self.u("elena"), supporting_owner=self.u("marcus"),
            approval_authority=self.u("dana"), evidence_custodian=self.u("elena"),
            start_date=self.back(105), scheduled_completion=self.back(60),
            milestones=[("Offboarding checklist: IT disables the account on the last day", self.back(95)),
                        ("Lifecycle workflow disables accounts at the termination date", self.back(80))])
        services.create_item(
            priya, self.org, requirements=["3.10.4"], assessment=self.assessment, status="open",
            kind="operational_plan",
            title="The visitor log does not show who escorted each visitor",
            weakness="The reception visitor log records names and times but not the escort, so a visit to the "
                     "CNC floor or the server room cannot be traced to the employee responsible.",
            severity="moderate",
            remediation="Replace the visitor log form with one that has an escort column, brief reception, and "
                        "keep the weekly scans of the log as evidence.",
            responsible_unit="Facilities", resources="2 staff hours; new printed forms",
            primary_owner=self.u("tom"), approval_authority=self.u("dana"), evidence_custodian=self.u("tom"),
            start_date=self.back(100), scheduled_completion=self.back(30),
            milestones=[("Visitor log form with an escort column in use at reception", self.back(60))])

    def poam_import(self) -> None:
        from punchlist.interchange import read_poam
        from punchlist.register.imports import import_poam

        poam = _initial_poam(read_poam(self.examples / POAM_FILE), self.days)
        self.import_result = import_poam(self.u("priya"), self.org, poam, file=POAM_FILE,
                                         assessment=self.assessment, create_people=True)

    def events(self) -> list[tuple[datetime, object]]:
        """Everything after the import, each with its moment; run in time order."""
        from punchlist.register import services

        steps = []

        def at(day, hour, action, minute=0):
            steps.append((timezone.make_aware(datetime.combine(day, time(hour, minute))), len(steps), action))

        u, item, milestone, f = self.u, self.item, self.milestone, self.file_day
        start = lambda who, identifier: lambda: services.change_status(  # noqa: E731
            u(who), item(identifier), "in_progress", reason="Work started")
        done = lambda who, identifier, description, day: lambda: services.complete_milestone(  # noqa: E731
            u(who), milestone(identifier, description), done_on=day)

        # Harbor Cyber brings in the POA&M spreadsheet it kept for Ridgeline until now.
        at(f(8, 31), 15, self.poam_import)

        # OPA-PS-001: leavers' accounts. Done, one slip, approved by the President.
        at(self.back(105), 9, start("elena", "OPA-PS-001"))
        at(self.back(96), 16, done("elena", "OPA-PS-001", "Offboarding checklist: IT disables the account on "
                                   "the last day", self.back(96)))
        at(self.back(82), 10, lambda: services.slip_milestone(
            u("elena"), milestone("OPA-PS-001", "Lifecycle workflow disables accounts at the termination date"),
            self.back(70), reason="Lifecycle workflows need the Entra ID Governance licence; the purchase was "
                                  "approved on the 4th and takes two weeks"))
        at(self.back(71), 15, done("elena", "OPA-PS-001", "Lifecycle workflow disables accounts at the "
                                   "termination date", self.back(71)))
        at(self.back(69), 10, lambda: services.add_evidence(
            u("elena"), item("OPA-PS-001"), name="leavers-report-september.csv",
            content=b"employee,last_day,account_disabled_at,hours_after\n"
                    b"E-1042,2026-09-05,2026-09-05T17:12,0.2\nE-1017,2026-09-12,2026-09-12T17:03,0.1\n"
                    b"E-1088,2026-09-26,2026-09-26T18:40,1.7\n",
            description="Entra ID audit log export: the three leavers of the month, disabled on their last day"))
        at(self.back(69), 10, lambda: services.request_closure(
            u("elena"), item("OPA-PS-001"), note="The workflow has disabled every leaver since it went live; "
                                                  "report attached"), minute=5)
        at(self.back(67), 11, lambda: services.approve_closure(
            u("dana"), item("OPA-PS-001"), completion_date=self.back(67), record_met=True,
            note="Checked the three leavers against the HR list: disabled within two hours of their last day"))
        at(self.back(66), 9, lambda: services.set_requirement_status(
            u("priya"), self.assessment, "3.9.2", "met", implementation=self.statements.get("3.9.2", "")))

        # OPA-PE-001: the visitor log. A closure rejected, then put forward again: waiting for approval now.
        at(self.back(100), 9, start("tom", "OPA-PE-001"))
        at(self.back(62), 14, done("tom", "OPA-PE-001", "Visitor log form with an escort column in use at "
                                   "reception", self.back(62)))
        at(self.back(45), 10, lambda: services.add_evidence(
            u("tom"), item("OPA-PE-001"), name="visitor-log-four-weeks.txt",
            content=b"Visitor log scans, four weeks: 31 visits, 29 with the escort's initials.\n",
            description="Scans of the reception visitor log"))
        at(self.back(45), 10, lambda: services.request_closure(
            u("tom"), item("OPA-PE-001"), note="New form in use for four weeks"), minute=5)
        at(self.back(43), 16, lambda: services.reject_closure(
            u("dana"), item("OPA-PE-001"),
            reason="Two visits have no escort's initials; brief reception again and show four clean weeks"))
        at(self.back(43), 16, lambda: services.change_due_date(
            u("tom"), item("OPA-PE-001"), self.back(-7),
            reason="Closure rejected: four clean weeks of the visitor log are needed first"), minute=15)
        at(self.back(43), 16, lambda: services.add_milestone(
            u("tom"), item("OPA-PE-001"), "Four consecutive weeks with every visit escorted and initialled",
            self.back(5)), minute=30)
        at(self.back(4), 9, done("tom", "OPA-PE-001", "Four consecutive weeks with every visit escorted and "
                                 "initialled", self.back(4)))
        at(self.back(3), 10, lambda: services.add_evidence(
            u("tom"), item("OPA-PE-001"), name="visitor-log-clean-weeks.txt",
            content=b"Visitor log scans, four weeks: 27 visits, every one with the escort's initials.\n",
            description="Scans of the last four weeks of the visitor log"))
        at(self.back(3), 10, lambda: services.request_closure(
            u("tom"), item("OPA-PE-001"), note="Four clean weeks; reception briefed again"), minute=5)

        # The spreadsheet's items, as the file shows them today.
        at(f(9, 1), 9, start("priya", "POAM-IR-001"))
        at(f(9, 14), 9, start("elena", "POAM-AT-001"))
        at(f(10, 2), 16, done("elena", "POAM-AT-001", "Module assigned to all staff", f(10, 2)))
        at(f(10, 5), 9, start("marcus", "POAM-SC-001"))
        at(f(10, 8), 15, done("priya", "POAM-IR-001", "Scenario and invitations sent", f(10, 8)))
        at(f(10, 28), 17, done("priya", "POAM-IR-001", "Tabletop held", f(10, 28)))
        at(f(10, 29), 11, lambda: services.add_evidence(
            u("priya"), item("POAM-IR-001"), name="tabletop-after-action-report.md",
            content=b"# Ransomware tabletop, after-action report\n\nHeld with Harbor Cyber and leadership. "
                    b"Escalation to the MSP reached the on-call engineer in 12 minutes.\n\n## Changes to the "
                    b"IR plan (v1.3)\n- Out-of-band contact list printed and kept in the safe\n",
            description="After-action report and the changes made to the incident response plan"))
        at(f(10, 29), 11, lambda: services.request_closure(
            u("priya"), item("POAM-IR-001"), note="Tabletop held on the 28th; report attached"), minute=10)
        at(f(10, 30), 9, lambda: services.approve_closure(
            u("marcus"), item("POAM-IR-001"), completion_date=f(10, 30), record_met=True,
            note="Read the report; the plan changes are in the IR register"))
        at(f(10, 30), 14, lambda: services.set_requirement_status(
            u("priya"), self.assessment, "3.6.3", "met",
            implementation="Tested by a yearly tabletop exercise with the MSP; last held 2026-10-28 "
                           "(POAM-IR-001)."))
        at(f(11, 2), 9, start("marcus", "POAM-AC-001"))
        at(f(11, 3), 9, start("marcus", "OPA-RA-001"))
        at(f(11, 5), 16, done("marcus", "POAM-SC-001", "Pilot FIPS mode on 3 engineering laptops", f(11, 5)))
        at(f(11, 9), 9, start("sam", "POAM-CM-001"))
        at(f(11, 9), 9, start("priya", "POAM-MP-001"), minute=30)
        at(f(11, 10), 11, lambda: services.slip_milestone(
            u("marcus"), milestone("POAM-SC-001", "Roll out to all 38 endpoints"), f(12, 11),
            reason="FIPS mode broke the CAD plotter driver on one pilot laptop; waiting for the vendor's signed "
                   "driver (ticket 4471)"))
        at(f(11, 10), 11, lambda: services.change_due_date(
            u("marcus"), item("POAM-SC-001"), f(1, 29, 2027),
            reason="Follows the roll-out milestone, moved by two weeks for the plotter driver"), minute=5)
        at(f(11, 18), 15, done("marcus", "POAM-AC-001", "Counsel approves the banner text", f(11, 18)))
        at(f(11, 20), 16, done("marcus", "OPA-RA-001", "Critical patches deployed", f(11, 20)))
        # The monthly management reviews, 31 days apart so that each falls in its own month.
        for days, decisions in (
                (96, "Start with the leavers' accounts and the visitor log; Harbor Cyber brings its POA&M "
                     "spreadsheet into Punchlist this month."),
                (65, "Close the leavers' accounts item; Marcus to get the vendor's answer on FIPS mode for the CAD "
                     "plotter; Elena to assign the security awareness module to all staff."),
                (34, "Accept the two-week slip of the BitLocker roll-out (plotter driver); Tom to show four clean "
                     "weeks of the visitor log before asking for closure again.")):
            at(self.back(days), 16, self._monthly_review(self.back(days), decisions))
        at(self.back(14), 9, lambda: self._add_assessor())
        return [(moment, action) for moment, _, action in sorted(steps, key=lambda s: (s[0], s[1]))]

    def _monthly_review(self, held_on: date, decisions: str):
        from punchlist.rhythm import services as rhythm

        return lambda: rhythm.record_review(
            self.u("priya"), self.org, held_on=held_on, decisions=decisions,
            attendees=[self.u("priya"), self.u("marcus"), self.u("dana")])

    def _add_assessor(self) -> None:
        from punchlist.orgs import services as orgs

        orgs.add_member(self.u("marcus"), self.org, self.u("alex"), "viewer")

    def harbor(self) -> None:
        """Priya's own firm, the managed-service provider Harbor Cyber, with two small clients of its own, so
        that the portfolio has something to show (Ridgeline runs itself, with Priya as its coordinator)."""
        from punchlist.core.catalog import load_catalog
        from punchlist.core.records import Determination, RequirementResult
        from punchlist.orgs import services as orgs
        from punchlist.register import services
        from punchlist.register.imports import import_assessment
        from punchlist.rhythm.services import monthly

        priya = self.u("priya")
        self.on(self.back(119), 9)
        harbor = orgs.create_organization(name=PROVIDER_NAME, slug=PROVIDER_SLUG, first_admin=priya)
        orgs.make_provider(priya, harbor)
        catalog = load_catalog()
        for minute, (name, gaps) in enumerate(PROVIDER_CLIENTS.items(), start=1):
            self.on(self.back(119), 9, minute * 10)
            client, _ = orgs.create_client(priya, harbor, name=name)
            results = [RequirementResult(r.id, Determination.NOT_MET if r.id in gaps else Determination.MET,
                                         implementation="" if r.id in gaps else f"How {name} meets {r.id}")
                       for r in catalog]
            import_assessment(priya, client, results, assessed_on=self.back(120), file=f"{client.slug}-sa.csv")
            for n, (requirement, (title, due_in)) in enumerate(gaps.items()):
                services.create_item(
                    priya, client, requirements=[requirement], title=title, status="open",
                    weakness=f"{title}: not done yet at {name}", remediation=f"{title}, with evidence kept",
                    primary_owner=priya, start_date=self.back(119), scheduled_completion=self.back(-due_in))
            monthly.take_snapshot(client, actor=priya, month=self.back(119))

    def write(self) -> None:
        self.founding()
        self.harbor()
        self.assessment_and_scope()
        self.own_items()
        for moment, action in self.events():
            self.clock.set(moment)
            action()


def seed(*, today: date | None = None, examples: Path = EXAMPLES) -> Demo:
    """Set up the demo organization, once: a second run finds it and changes nothing. Returns who can sign
    in and the secret of the authenticator of each person who must sign in with a second factor (everyone,
    unless PUNCHLIST_REQUIRE_MFA=privileged)."""
    from punchlist.orgs.models import Organization
    from punchlist.web.accounts import activate_totp, requires_mfa, totp_secret

    organization = Organization.objects.filter(slug=ORG_SLUG).first()
    created = organization is None
    if created:
        for name in (ASSESSMENT_FILE, POAM_FILE):
            if not (examples / name).is_file():
                raise FileNotFoundError(f"the demo reads {examples / name}, which is missing; reinstall Punchlist "
                                        "(the examples are part of the package)")
        today = today or timezone.localdate()
        with transaction.atomic(), history_clock() as clock:
            story = Story(clock, today, examples)
            story.write()
        organization = story.org
    users = {u.username: u for u in get_user_model().objects.filter(username__in=[p.username for p in PEOPLE])}
    secrets = {}
    for person in PEOPLE:
        user = users[person.username]
        if user.is_active and requires_mfa(user):
            secrets[person.username] = totp_secret(user) or activate_totp(user)
    return Demo(organization=organization, people=PEOPLE, secrets=secrets, created=created)
