"""Sign-in attempts, kept in the database so every worker shares the rate limit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class SignInAttempt(db.Model):
    """A failed or successful sign-in by username (folded) from one client address."""

    __tablename__ = "sign_in_attempt"
    __table_args__ = (Index("ix_sign_in_attempt_lookup", "username", "client_address",
                            "attempted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(200))
    client_address: Mapped[str] = mapped_column(String(64))
    attempted_at: Mapped[datetime] = mapped_column(DateTime())
    succeeded: Mapped[bool] = mapped_column(default=False)
