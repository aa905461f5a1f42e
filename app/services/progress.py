"""Stored progress: which current requirements each person has done, as one number per
person (`Person.requirement_done_bits`), so that a director's fifty thousand or the whole
group are counted from a column instead of by looking up every acknowledgement and
training completion again.

Each requirement in force gets a bit (`RequirementSlot`). Database triggers set a
person's bit when an acknowledgement or a training completion is written, whoever writes
it. What the triggers cannot see is a requirement changing: a document's new version, a
new training, a period that began. Each slot therefore keeps a digest of what its bit was
computed for; `bind` compares it with the requirements in force and recomputes a bit
whose digest differs, for everyone, in one statement. Until a bit is current the
requirement is evaluated from the evidence itself, as before, so a stale bit is never read.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, case, delete, event, insert, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from app.extensions import db, writing
from app.models import Person, RequirementSlot, RequirementSlotVersion
from app.models.progress import SLOT_COUNT

if TYPE_CHECKING:
    from app.services.requirements import Requirement

log = logging.getLogger(__name__)


def digest(requirement: Requirement) -> str:
    """What the requirement's bit depends on besides the evidence: for a document, the
    versions whose acknowledgement counts; a training's bit depends on nothing more."""
    if requirement.chain is not None:
        return "versions:" + ",".join(str(v) for v in sorted(requirement.chain.valid_ids))
    return "training"


def _mask(bit: int) -> int:
    return 1 << bit


def done_bit(bit: int) -> ColumnElement[bool]:
    """SQL condition on Person: their stored bit says done."""
    return Person.requirement_done_bits.op("&")(_mask(bit)) != 0


def _current_slots() -> dict[str, tuple[int, str]]:
    return {key: (bit, found) for key, bit, found in db.session.execute(
        select(RequirementSlot.key, RequirementSlot.bit, RequirementSlot.digest))}


def bind(requirements: list[Requirement]) -> list[Requirement]:
    """The requirements, each reading `done` from its stored bit when the bit is current.
    Stale or missing bits are recomputed first — in a transaction of their own, which
    commits: call this before writing anything."""
    slots = _current_slots()
    if _stale(requirements, slots) and _refresh(requirements):
        slots = _current_slots()
    bound = []
    for requirement in requirements:
        bit, stored = slots.get(requirement.key, (0, None))
        if stored == digest(requirement):
            requirement = dataclasses.replace(requirement, done=done_bit(bit))
        bound.append(requirement)
    return bound


def _stale(requirements: list[Requirement], slots: dict[str, tuple[int, str]]) -> bool:
    """A bit to recompute: a slot whose digest differs, or a requirement without a slot
    while a slot is free (beyond SLOT_COUNT, there is nothing to do on every page)."""
    if any(r.key in slots and slots[r.key][1] != digest(r) for r in requirements):
        return True
    in_use = sum(1 for r in requirements if r.key in slots)
    return in_use < len(requirements) and in_use < SLOT_COUNT


# Whether the session's transaction has written anything: the recomputation commits, and
# must never commit a caller's half-done work.
_WROTE = "progress_transaction_wrote"


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: object) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_WROTE, None)


def _refresh(requirements: list[Requirement]) -> bool:
    """Recompute the stale bits; False (and nothing changed) when the transaction has
    already written something or the database refuses the write — the caller then counts
    from the evidence, slower but right."""
    session = db.session()
    if session.info.get(_WROTE) or session.new or session.dirty or session.deleted:
        return False
    # The requirements' documents and trainings stay loaded: expiring them would reload
    # each one again, a query per requirement.
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()  # a read-only page's snapshot must not hide what others wrote
        with writing():
            _recompute_stale(requirements)
            session.commit()
    except DBAPIError:
        session.rollback()
        log.warning("Could not store requirement progress; counting from the evidence",
                    exc_info=True)
        return False
    finally:
        session.expire_on_commit = expire
    return True


def _recompute_stale(requirements: list[Requirement]) -> None:
    """Give every requirement a slot (up to SLOT_COUNT; more are counted from the evidence)
    and recompute each bit whose digest changed, for every person."""
    if db.session.get_bind().dialect.name == "postgresql":
        # Evidence written while a bit is recomputed would be missed by both the trigger
        # (no slot yet) and the recomputation (not yet visible): writers wait a moment.
        db.session.execute(text("LOCK TABLE acknowledgement, training_completion IN SHARE MODE"))
        db.session.execute(text(
            "LOCK TABLE requirement_slot, requirement_slot_version IN EXCLUSIVE MODE"))
    slots = {s.key: s for s in db.session.scalars(select(RequirementSlot))}
    wanted = {r.key for r in requirements}
    taken = {s.bit for s in slots.values()}
    free = [bit for bit in range(SLOT_COUNT) if bit not in taken]
    unused = sorted((s for s in slots.values() if s.key not in wanted), key=lambda s: s.bit)
    changed: list[tuple[RequirementSlot, Requirement]] = []
    for requirement in requirements:
        slot = slots.get(requirement.key)
        if slot is not None and slot.digest == digest(requirement):
            continue
        if slot is None:
            if free:
                slot = RequirementSlot(bit=free.pop(0), key=requirement.key, digest="")
                db.session.add(slot)
            elif unused:
                slot = unused.pop(0)
                slots.pop(slot.key)
                slot.key = requirement.key
            else:
                continue
            slots[requirement.key] = slot
        changed.append((slot, requirement))
    if changed:
        _recompute(changed)


def _recompute(changed: list[tuple[RequirementSlot, Requirement]]) -> None:
    """The changed slots' digests and versions, then their bits for everyone, in one
    statement that writes only the people whose bits differ."""
    for slot, requirement in changed:
        slot.digest = digest(requirement)
        slot.training_id = requirement.training.id if requirement.training else None
    db.session.flush()
    changed_bits = [slot.bit for slot, _requirement in changed]
    db.session.execute(delete(RequirementSlotVersion).where(
        RequirementSlotVersion.bit.in_(changed_bits)))
    versions = [{"version_id": v, "bit": slot.bit} for slot, requirement in changed
                if requirement.chain is not None for v in sorted(requirement.chain.valid_ids)]
    if versions:
        db.session.execute(insert(RequirementSlotVersion), versions)
    bits = Person.requirement_done_bits
    kept = bits.op("&")(~sum(_mask(bit) for bit in changed_bits))
    fresh = sum((case((requirement.done, _mask(slot.bit)), else_=0)
                 for slot, requirement in changed), kept)
    db.session.execute(update(Person).where(fresh != bits).values(requirement_done_bits=fresh)
                       .execution_options(synchronize_session=False))
