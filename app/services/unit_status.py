"""A manager's unit: everyone who reports to them through the directory's reporting lines,
with each person's status per required document and training and their checklist
progress — counted in the database, so a director with fifty thousand below opens in a
constant number of queries.

The subtree is a recursive CTE that carries, for each person below, which direct report
they are under (`root`); UNION (not UNION ALL) drops rows already found, so a loop in the
reporting lines ends instead of running forever. A loop through the manager is reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import OrgUnit, Person, PersonKind, Role
from app.services import Forbidden, checklist_progress, people
from app.services.audience import kind_labels
from app.services.audience_report import Tally
from app.services.people import subtree
from app.services.requirements import DOCUMENT, Requirement
from app.text import fold, swedish_sort_key

LIST_LIMIT = 250


def may_view(viewer: Person, person_id: int) -> bool:
    """The viewer themselves or someone in their subtree."""
    if person_id == viewer.id:
        return True
    tree = subtree(viewer.id)
    return bool(db.session.scalar(select(exists().where(tree.c.id == person_id))))


def require_view(viewer: Person, person_id: int) -> Person:
    """The person whose unit the viewer asks for; 403 outside the viewer's subtree."""
    person = db.session.get(Person, person_id)
    if person is None or not may_view(viewer, person_id):
        raise Forbidden(_("Personen finns inte i din enhet."))
    return person


def loop_through(manager: Person) -> list[str]:
    """Names in the loop when the reporting lines above the manager lead back to them
    (a manager who is their own manager included); [] when there is none."""
    chain = (select(Person.id.label("id"), Person.manager_id.label("up"))
             .where(Person.id == manager.manager_id).cte("chain", recursive=True))
    boss = aliased(Person)
    chain = chain.union(select(boss.id, boss.manager_id).where(boss.id == chain.c.up))
    up = dict(db.session.execute(select(chain.c.id, chain.c.up)).tuples().all())
    if manager.id not in up:
        return []
    names = dict(db.session.execute(select(Person.id, Person.display_name).where(
        Person.id.in_(up))).tuples().all())
    loop, current = [], manager.id
    while True:
        loop.append(names[current])
        current = up[current]
        if current == manager.id or current is None:
            return loop


@dataclass
class Figures:
    """Done out of asked, over a group of people."""

    people: int = 0
    documents: Tally = field(default_factory=lambda: Tally(""))
    trainings: Tally = field(default_factory=lambda: Tally(""))
    checklists: Tally = field(default_factory=lambda: Tally(""))
    per_requirement: dict[str, Tally] = field(default_factory=dict)

    def add(self, other: Figures) -> None:
        self.people += other.people
        for mine, theirs in ((self.documents, other.documents),
                             (self.trainings, other.trainings),
                             (self.checklists, other.checklists)):
            mine.total += theirs.total
            mine.done += theirs.done
        for key, tally in other.per_requirement.items():
            into = self.per_requirement.setdefault(key, Tally(""))
            into.total += tally.total
            into.done += tally.done


# Each requirement's progress is one number per person — 0 not asked, 1 asked, 1 + DONE
# done — so one SUM gives both counts (asked = sum % DONE, done = sum // DONE) and each
# person's conditions are evaluated once, even where the database inlines a subquery into
# every aggregate that uses it. DONE exceeds any number of people.
DONE = 1 << 24


def progress_sums(requirements: list[Requirement]) -> list[ColumnElement]:
    """One aggregate column per requirement, to be read back with `figures_of`."""
    return [func.sum(case((r.members, case((r.done, 1 + DONE), else_=1)), else_=0))
            for r in requirements]


def figures_of(people: int, sums: Sequence[int | None], requirements: list[Requirement],
               checklists: Tally | None = None) -> Figures:
    """Figures from a row of `progress_sums`."""
    figures = Figures(people, checklists=checklists or Tally(""))
    for requirement, value in zip(requirements, sums, strict=True):
        value = int(value or 0)
        tally = Tally(requirement.title, value % DONE, value // DONE)
        figures.per_requirement[requirement.key] = tally
        into = figures.documents if requirement.kind == DOCUMENT else figures.trainings
        into.total += tally.total
        into.done += tally.done
    return figures


# Up to this many people below a manager are counted by their ids, above it through the
# recursive query. PostgreSQL cannot estimate a recursive query's size and plans a team of
# twelve as if it were thousands (hashing every acknowledgement: ~300 ms instead of ~30).
SMALL_UNIT = 2000


def figures_under(manager_id: int, requirements: list[Requirement]
                  ) -> tuple[dict[int, Figures], dict[str, Figures]]:
    """Figures per direct report (for them and everyone below them) and per person kind
    over the whole subtree, in two queries."""
    tree = subtree(manager_id)
    # The recursion stops once the LIMIT is reached, so a big unit costs little here.
    root_of = dict(db.session.execute(select(tree.c.id, tree.c.root).limit(SMALL_UNIT + 1))
                   .tuples().all())
    root_of.pop(manager_id, None)
    if len(root_of) <= SMALL_UNIT:
        people: list[int] | None = list(root_of)
        group, source = Person.id, select(Person).where(Person.id.in_(people))
    else:
        # Everyone's checklists (a few thousand) cost less to count than restricting
        # them to the subtree, which would walk the reporting lines a second time.
        people, group = None, tree.c.root
        source = select(Person).join(tree, tree.c.id == Person.id).where(
            Person.id != manager_id)
    checklist = checklist_progress.per_person(people=people)
    query = (source.with_only_columns(
        group, Person.kind, func.count(), func.sum(func.coalesce(checklist.c.total, 0)),
        func.sum(func.coalesce(checklist.c.done, 0)), *progress_sums(requirements),
        maintain_column_froms=True)
        .outerjoin(checklist, checklist.c.person_id == Person.id)
        .where(Person.active.is_(True)).group_by(group, Person.kind))
    per_root: dict[int, Figures] = {}
    per_kind: dict[str, Figures] = {}
    for key, kind, count, c_total, c_done, *sums in db.session.execute(query):
        figures = figures_of(count, sums, requirements,
                             Tally("", int(c_total or 0), int(c_done or 0)))
        root = root_of[key] if group is Person.id else key
        per_root.setdefault(root, Figures()).add(figures)
        per_kind.setdefault(PersonKind(kind).value, Figures()).add(figures)
    return per_root, per_kind


def status_labels(not_asked: str = "–") -> dict[str | None, str]:
    """The words of a person's status for one requirement."""
    return {"done": _("Klar"), "open": _("Ej klar"), "overdue": _("Försenad"), None: not_asked}


@dataclass
class PersonRow:
    """One person with their own status per requirement ('done', 'overdue', 'open' or
    None when not asked) and the checklists they hold."""

    id: int
    name: str
    username: str
    mail: str | None
    title: str
    unit: str
    kind: str
    is_manager: bool
    statuses: dict[str, str | None]
    checklist: Tally
    below: Figures | None = None

    @property
    def open_count(self) -> int:
        return sum(1 for s in self.statuses.values() if s in ("open", "overdue"))

    @property
    def overdue_count(self) -> int:
        return sum(1 for s in self.statuses.values() if s == "overdue")


def rows_query(requirements: list[Requirement], where: list[ColumnElement[bool]]) -> Select:
    """The rows of the active people `where` picks, with their status per requirement and
    the checklists they hold."""
    checklist = checklist_progress.per_person(people=select(Person.id).where(*where))
    return (select(Person.id, Person.display_name, Person.username, Person.mail, Person.title,
                   OrgUnit.path, Person.kind, people.role_conditions(Person.id)[Role.MANAGER],
                   func.coalesce(checklist.c.total, 0), func.coalesce(checklist.c.done, 0),
                   *(r.status() for r in requirements))
            .outerjoin(OrgUnit, OrgUnit.id == Person.unit_id)
            .outerjoin(checklist, checklist.c.person_id == Person.id)
            .where(Person.active.is_(True), *where))


def to_rows(result, requirements: list[Requirement]) -> list[PersonRow]:
    kinds = kind_labels()
    rows = []
    for (person_id, name, username, mail, title, path, kind, is_manager, c_total, c_done,
         *statuses) in result:
        rows.append(PersonRow(
            person_id, name, username, mail, title or "", path or "", kinds[kind.value],
            bool(is_manager), {r.key: s for r, s in zip(requirements, statuses, strict=True)},
            Tally("", int(c_total), int(c_done))))
    return rows


def direct_reports(manager_id: int, requirements: list[Requirement],
                   below: dict[int, Figures] | None = None) -> list[PersonRow]:
    """The manager's direct reports in Swedish name order, each manager among them with
    the figures of everyone below them; in two queries (one when the caller already has
    `figures_under`'s figures per direct report and passes them as `below`)."""
    rows = to_rows(db.session.execute(rows_query(requirements, [
        Person.manager_id == manager_id, Person.id != manager_id])), requirements)
    if below is None:
        below, _kinds = figures_under(manager_id, requirements)
    for row in rows:
        if row.is_manager:
            row.below = below.get(row.id)
    rows.sort(key=lambda r: swedish_sort_key(r.name))
    return rows


@dataclass
class Listing:
    """People of the subtree that match the filters, at most LIST_LIMIT of them."""

    rows: list[PersonRow]
    total: int

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)


def open_condition(requirements: list[Requirement]) -> ColumnElement[bool]:
    if not requirements:
        return literal(False)
    return or_(*(and_(r.members, ~r.done) for r in requirements))


def rows_in_order(person_ids: list[int], where: list[ColumnElement[bool]],
                  requirements: list[Requirement], everyone: bool) -> list[PersonRow]:
    """The rows of the people picked (by `where`, then sorted in Python), in that order:
    loaded by id for a page; for an export of everyone by the same conditions again, since
    thousands of ids would overflow the database's limit on bound parameters."""
    if not person_ids:
        return []
    order = {person_id: n for n, person_id in enumerate(person_ids)}
    narrowed = where if everyone else [Person.id.in_(person_ids)]
    rows = to_rows(db.session.execute(rows_query(requirements, narrowed)), requirements)
    rows.sort(key=lambda r: order[r.id])
    return rows


def _weight(requirements: list[Requirement]) -> ColumnElement:
    """How much a person has left: 2 per overdue, 1 per open requirement."""
    weights = [case((r.members, case((r.done, 0), (r.overdue, 2), else_=1)),
                    else_=0) for r in requirements]
    return sum(weights[1:], weights[0]) if weights else literal(0)


def search(manager_id: int, requirements: list[Requirement], query: str = "",
           only_open: bool = False, sort: str = "name", limit: int | None = LIST_LIMIT
           ) -> Listing:
    """Everyone in the subtree matching the name search and "only not done", by name or
    with the most left to do first: one query picks and orders them (Swedish order is
    Python's), a second loads the rows shown."""
    tree = subtree(manager_id)
    where = [Person.active.is_(True), Person.id.in_(select(tree.c.id)),
             Person.id != manager_id]
    for word in fold(query).split():
        where.append(Person.search_text.contains(word, autoescape=True))
    if only_open:
        where.append(open_condition(requirements))
    weight = _weight(requirements) if sort == "status" else literal(0)
    found = db.session.execute(select(Person.id, Person.display_name, weight).where(*where)).all()
    found.sort(key=lambda r: (-r[2], swedish_sort_key(r[1])))
    chosen = [r[0] for r in (found if limit is None else found[:limit])]
    rows = rows_in_order(chosen, where, requirements, everyone=limit is None)
    return Listing(rows, len(found))
