"""Portal administration: directory sync runs and granted roles."""

from __future__ import annotations

from flask import Blueprint

from app.models import Role
from app.services import directory
from app.web import render, require_role

bp = Blueprint("admin", __name__, url_prefix="/administration")


@bp.get("/")
@require_role(Role.ADMIN)
def index():
    """Recent directory sync runs and who holds the granted roles."""
    return render("admin/index.html", runs=directory.recent_runs(),
                  grants=directory.current_grants())
