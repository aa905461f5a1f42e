"""The blueprint of the system register; the pages register their routes on it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("systems", __name__)

# The modules below add their routes to `bp` (imported for that effect).
from app.blueprints.systems import importing, register, system_page  # noqa: E402, F401
