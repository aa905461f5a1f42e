"""The blueprint of governing documents; the pages register their routes on it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("documents", __name__)

# The modules below add their routes to `bp` (imported for that effect).
from app.blueprints.documents import following, managing, reading  # noqa: E402, F401
