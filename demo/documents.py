"""Demo governing documents (styrdokument) for the Exempelby group, with adoptions by the
companies and a realistic mix of acknowledgements (kvittenser), so the library, "Styrdokument att
kvittera" and the coordinator's follow-up have something to show.

`flask --app wsgi demo-documents` loads them after the demo directory sync and the demo
systems (`make run` does; the instruction for system owners and administrators finds its
audience through the system register). The texts are `demo/documents/*.md`. All dates
count back from `today`, so the mix stays the same whenever the demo is loaded:

- Informationssäkerhetspolicy: 1 (three years ago), 2 (major, 14 months ago), 2.1
  (editorial, 3 months ago). For the whole municipality, every person kind; adopted by
  Exempelby Bostäder AB (2.5 years ago, re-adopted for version 2 a year ago) and by
  Exempelby Energi AB (5 months ago). 302 people, 189 acknowledged (63 %; staff 180 of
  277, elected officials and board members 9 of 25); 24 of the 113 others acknowledged
  only version 1 and must acknowledge again; all 113 are overdue.
- Riktlinjer för informationssäkerhet (10 months ago): municipal employees and consultants,
  adopted by Bostäder. 262 people, 140 acknowledged (53 %), 122 overdue.
- Rutin för hantering av informationssäkerhetsincidenter (20 days ago): employees and
  consultants of all three organizations. 277 people, 68 acknowledged (25 %), none overdue
  yet (the 30 days to acknowledge have not run out).
- Instruktion för informationsklassning (6 months ago): system owners and administrators
  of all three organizations. 98 people, 45 acknowledged (46 %), 53 overdue.
- Instruktion för distansarbete (2 months ago): the unit Kommunledning and its sub-units.
  17 people, 6 acknowledged (35 %), 11 overdue.

Who acknowledged is decided by a stable hash of the document and the username, never by
chance. Every demo person's `created_at` is set to four years back: the demo staff have
been employed for years, so their acknowledgement periods run from each publication (or
from their company's adoption), not from the day the demo was loaded.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select, update

from app.extensions import db
from app.models import (
    Acknowledgement,
    AdoptionAction,
    ChangeKind,
    Document,
    DocumentAdoption,
    DocumentVersion,
    Organization,
    OrgUnit,
    Person,
    PersonKind,
)
from app.services import audit
from app.services.audience import Audience, AudienceRule, UnitTree
from app.services.markdown_render import sha256_of
from app.text import fold

TEXTS = Path(__file__).resolve().parent / "documents"
ORGS = {"K": "Exempelby kommun", "B": "Exempelby Bostäder AB", "E": "Exempelby Energi AB"}
OWNER = "K"
RESPONSIBLE = "karin.holm"
EMPLOYED_DAYS = 4 * 365
ALL_KINDS = ("employee", "consultant", "elected", "board")
STAFF = ("employee", "consultant")
# Elected officials and board members acknowledge far less often than staff.
POLITICAL = {PersonKind.ELECTED, PersonKind.BOARD}


@dataclass(frozen=True)
class Version:
    """One published version: its text file and the decision behind it."""

    file: str
    number: str
    days_ago: int
    decided_by: str
    reference: str  # "{year}" becomes the decision's year
    change_kind: ChangeKind = ChangeKind.MAJOR
    change_summary: str = ""
    decided_days_before: int = 5


@dataclass(frozen=True)
class Adoption:
    """A company's board decision to adopt the document (covering later versions)."""

    org: str
    days_ago: int
    reference: str


@dataclass(frozen=True)
class DemoDocument:
    title: str
    kind: str
    versions: tuple[Version, ...]
    # Acknowledged the version that counts: share of staff, and of elected and board members.
    rate: float
    political_rate: float = 0.0
    # Acknowledged only the first version (so must acknowledge again), likewise.
    first_only: float = 0.0
    political_first_only: float = 0.0
    orgs: str = ""
    unit: str = ""  # path of a unit in the owner's organization, with its sub-units
    kinds: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    adoptions: tuple[Adoption, ...] = field(default_factory=tuple)
    review_interval_months: int = 12


def _board(org: str) -> str:
    return f"Styrelsen för {ORGS[org]}"


DOCUMENTS = (
    DemoDocument(
        "Informationssäkerhetspolicy", "policy",
        (Version("informationssakerhetspolicy-v1.md", "1", 1095, "Kommunfullmäktige",
                 "KS {year}/112", decided_days_before=12),
         Version("informationssakerhetspolicy-v2.md", "2", 425, "Kommunfullmäktige",
                 "KS {year}/148", change_summary=(
                     "Reviderad policy: nytt avsnitt om leverantörer och molntjänster, "
                     "cybersäkerhetslagen ersätter NIS-lagen, kvittens och årlig utbildning "
                     "för medarbetare och förtroendevalda samt förtydligat ansvar för "
                     "systemägare och informationssäkerhetssamordnare."),
                 decided_days_before=12),
         Version("informationssakerhetspolicy-v2-1.md", "2.1", 90, "Kommundirektören",
                 "KS {year}/301", ChangeKind.EDITORIAL,
                 "Redaktionella rättelser utan ändring i sak: stavningen av "
                 "”tillräckliga” är rättad, IT-enheten heter numera Digitaliseringsenheten "
                 "och länken till stöd och information går nu till LIS-portalen. Den som "
                 "kvitterat version 2 behöver inte kvittera igen.")),
        rate=0.65, political_rate=0.30, first_only=0.10, political_first_only=0.08,
        orgs="K", kinds=ALL_KINDS,
        adoptions=(Adoption("B", 913, "EBAB {year}/7"), Adoption("B", 365, "EBAB {year}/31"),
                   Adoption("E", 150, "EEAB {year}/12")),
        review_interval_months=24),
    DemoDocument(
        "Riktlinjer för informationssäkerhet", "guideline",
        (Version("riktlinjer-for-informationssakerhet.md", "1", 300, "Kommunstyrelsen",
                 "KS {year}/205"),),
        rate=0.55, orgs="K", kinds=STAFF,
        adoptions=(Adoption("B", 270, "EBAB {year}/15"),)),
    DemoDocument(
        "Rutin för hantering av informationssäkerhetsincidenter", "routine",
        (Version("rutin-informationssakerhetsincidenter.md", "1", 20, "Kommundirektören",
                 "KS {year}/389", decided_days_before=3),),
        rate=0.28, orgs="KBE", kinds=STAFF),
    DemoDocument(
        "Instruktion för informationsklassning", "instruction",
        (Version("instruktion-informationsklassning.md", "1", 182, "Kommundirektören",
                 "KS {year}/233"),),
        rate=0.50, orgs="KBE", roles=("system_owner", "system_administrator")),
    DemoDocument(
        "Instruktion för distansarbete", "instruction",
        (Version("instruktion-distansarbete.md", "1", 60, "Kommundirektören",
                 "KS {year}/342"),),
        rate=0.30, unit="Kommunledning"),
)


def _at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute))


def _fraction(*parts: str) -> float:
    """A number in [0, 1) that depends only on the parts (the same in every process)."""
    digest = hashlib.sha256(":".join(parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _moment(start: date, end: date, *parts: str) -> datetime | None:
    """A working-hours moment from `start` to `end` (both included), or None when the
    window is empty. Most people acknowledge within the first weeks, some much later."""
    span = (end - start).days
    if span < 0:
        return None
    g = _fraction(*parts, "day")
    days = int(g / 0.8 * min(span, 40)) if g < 0.8 else int((g - 0.8) / 0.2 * span)
    h = int(_fraction(*parts, "time") * 9 * 60)
    return _at(start + timedelta(days=min(days, span)), 7 + h // 60, h % 60)


def _version_on(versions: list[DocumentVersion], day: date) -> DocumentVersion:
    """The version in force on the day (published before it)."""
    return [v for v in versions if v.published_at.date() < day][-1]  # type: ignore[union-attr]


def _acknowledgement(versions: list[DocumentVersion], person_id: int, since: date | None,
                     start: date, end: date, *parts: str) -> Acknowledgement | None:
    """A kvittens given between start and end (after the person's company adopted the
    document), of the version in force that day; None when there is no such day."""
    if since is not None:
        start = max(start, since + timedelta(days=1))
    moment = _moment(start, end, *parts)
    if moment is None:
        return None
    version = _version_on(versions, moment.date())
    return Acknowledgement(person_id=person_id, document_id=version.document_id,
                           version_id=version.id, content_sha256=version.sha256,
                           acknowledged_at=moment, method="web")


class _Loader:
    """Looks up the demo organizations, units and people; adds one document at a time."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.orgs = {o.name: o for o in db.session.scalars(select(Organization))}
        self.responsible = db.session.scalar(select(Person).where(
            Person.username == RESPONSIBLE, Person.active))
        if self.responsible is None:
            raise LookupError(f"demo person {RESPONSIBLE!r} not found: run the demo ldap-sync "
                              "first")
        self.owner = self.org(OWNER)
        self.tree = UnitTree.load()
        self.totals = {"documents": 0, "versions": 0, "adoptions": 0, "acknowledgements": 0}

    def org(self, letter: str) -> Organization:
        if ORGS[letter] not in self.orgs:
            raise LookupError(f"demo organization {ORGS[letter]!r} not found: run the demo "
                              "ldap-sync first")
        return self.orgs[ORGS[letter]]

    def rule(self, spec: DemoDocument) -> AudienceRule:
        unit_ids: tuple[int, ...] = ()
        if spec.unit:
            unit = db.session.scalar(select(OrgUnit).where(
                OrgUnit.organization_id == self.owner.id, OrgUnit.path == spec.unit))
            if unit is None:
                raise LookupError(f"demo unit {spec.unit!r} not found: run the demo ldap-sync "
                                  "first")
            unit_ids = (unit.id,)
        return AudienceRule(tuple(self.org(o).id for o in spec.orgs), unit_ids, True,
                            spec.kinds, spec.roles)

    def add(self, spec: DemoDocument) -> None:
        today, responsible = self.today, self.responsible
        assert responsible is not None
        rule = self.rule(spec)
        first = spec.versions[0]
        bodies = [(TEXTS / v.file).read_text("utf-8") for v in spec.versions]
        document = Document(
            title=spec.title, kind=spec.kind, organization_id=self.owner.id,
            responsible_id=responsible.id, audience=rule.to_json(),
            requires_acknowledgement=True, review_interval_months=spec.review_interval_months,
            acknowledgement_days=30, search_text=fold(f"{spec.title} {bodies[-1]}"),
            created_at=_at(today - timedelta(days=first.days_ago + first.decided_days_before
                                             + 30)),
            created_by_id=responsible.id, withdrawal_reason="")
        db.session.add(document)
        db.session.flush()

        versions: list[DocumentVersion] = []
        for sequence, (v, body) in enumerate(zip(spec.versions, bodies, strict=True), start=1):
            published = today - timedelta(days=v.days_ago)
            decided = published - timedelta(days=v.decided_days_before)
            version = DocumentVersion(
                document_id=document.id, number=v.number, body=body, change_kind=v.change_kind,
                change_summary=v.change_summary, decided_by=v.decided_by, decision_date=decided,
                reference=v.reference.format(year=decided.year), valid_from=published,
                sequence=sequence, sha256=sha256_of(body),
                created_at=_at(decided - timedelta(days=21), 13), created_by_id=responsible.id,
                updated_at=_at(decided - timedelta(days=2), 15), published_at=_at(published),
                published_by_id=responsible.id)
            db.session.add(version)
            db.session.flush()  # inserted whole: a published version is never updated
            versions.append(version)

        adopted_since: dict[int, date] = {}
        for a in spec.adoptions:
            decided = today - timedelta(days=a.days_ago)
            company = self.org(a.org)
            db.session.add(DocumentAdoption(
                document_id=document.id, organization_id=company.id,
                action=AdoptionAction.ADOPTED, version_id=_version_on(versions, decided).id,
                decided_by=_board(a.org), decision_date=decided,
                reference=a.reference.format(year=decided.year),
                recorded_at=_at(decided + timedelta(days=3), 11), recorded_by_id=responsible.id))
            adopted_since.setdefault(company.id, decided)
        db.session.flush()

        base = max((v for v in versions if v.change_kind == ChangeKind.MAJOR),
                   key=lambda v: v.sequence or 0)
        first_start = versions[0].published_at.date() + timedelta(days=1)  # type: ignore[union-attr]
        first_end = base.published_at.date() - timedelta(days=1)  # type: ignore[union-attr]
        base_start = base.published_at.date() + timedelta(days=1)  # type: ignore[union-attr]
        audience = Audience.of(rule, self.tree, adopted_since)
        acknowledgements: list[Acknowledgement | None] = []
        for person_id, username, kind, org_id, unit_id in db.session.execute(select(
                Person.id, Person.username, Person.kind, Person.organization_id,
                Person.unit_id).where(audience.condition()).order_by(Person.id)):
            _inside, since = audience.place_since(org_id, unit_id)
            political = kind in POLITICAL
            rate = spec.political_rate if political else spec.rate
            first_only = spec.political_first_only if political else spec.first_only
            u = _fraction(spec.title, username)
            if u < rate:
                # Many who acknowledged the current text had also acknowledged the first.
                if base is not versions[0] and _fraction(spec.title, username, "history") < 0.6:
                    acknowledgements.append(_acknowledgement(
                        versions, person_id, since, first_start, first_end, spec.title,
                        username, "first"))
                acknowledgements.append(_acknowledgement(
                    versions, person_id, since, base_start, today - timedelta(days=1),
                    spec.title, username, "current"))
            elif u < rate + first_only and base is not versions[0]:
                acknowledgements.append(_acknowledgement(
                    versions, person_id, since, first_start, first_end, spec.title, username,
                    "first"))
        given = [a for a in acknowledgements if a is not None]
        db.session.add_all(given)
        db.session.flush()
        self.totals["documents"] += 1
        self.totals["versions"] += len(versions)
        self.totals["adoptions"] += len(spec.adoptions)
        self.totals["acknowledgements"] += len(given)


def load_demo_documents(today: date) -> int:
    """Add the demo documents to an empty library (the caller commits); return how many.

    Does nothing, and returns 0, when a document already exists. Raises LookupError when
    a demo organization, unit or person is missing (sync the demo first).
    """
    if db.session.scalar(select(Document.id).limit(1)) is not None:
        return 0
    loader = _Loader(today)
    # The demo staff have been employed for years (see the module docstring).
    db.session.execute(update(Person).values(
        created_at=_at(today - timedelta(days=EMPLOYED_DAYS), 8)))
    for spec in DOCUMENTS:
        loader.add(spec)
    audit.record(None, "document.demo_loaded", "document", None, loader.totals)
    return loader.totals["documents"]
