"""The blueprint of checklists and the annual wheel; the pages register their routes on it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("checklists", __name__)

# The modules below add their routes to `bp` (imported for that effect).
from app.blueprints.checklists import editing, ticking, wheel  # noqa: E402, F401
