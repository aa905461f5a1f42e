"""The blueprint of trainings; the pages register their routes on it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("trainings", __name__)

# The modules below add their routes to `bp` (imported for that effect).
from app.blueprints.trainings import following, importing, managing, taking  # noqa: E402, F401
