"""Where each current requirement's bit lives in Person.requirement_done_bits.

A derived store, not evidence: the follow-up counts fifty thousand people's statuses from
one stored number per person instead of looking up every acknowledgement and training
completion again. Rows are replaced whenever a requirement's definition changes; nothing
here is ever the only record of anything.
"""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

# Bits 0–62 of a signed 64-bit integer: the sign bit is left alone.
SLOT_COUNT = 63


class RequirementSlot(db.Model):
    """A requirement ("document-3", "training-5") and its bit. `digest` says what the bit
    was computed for (a document's counting versions), so a new version is noticed."""

    __tablename__ = "requirement_slot"

    bit: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    key: Mapped[str] = mapped_column(String(50), unique=True)
    digest: Mapped[str] = mapped_column(String(2000))
    # The training whose completions set the bit (read by the completion trigger).
    training_id: Mapped[int | None] = mapped_column(Integer, unique=True)


class RequirementSlotVersion(db.Model):
    """A document version whose acknowledgement sets the bit (read by the acknowledgement
    trigger): the versions that count for the document right now."""

    __tablename__ = "requirement_slot_version"

    version_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    bit: Mapped[int] = mapped_column(Integer)
