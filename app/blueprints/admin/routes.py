"""Portal administration: directory sync runs, granted roles and the audit log."""

from __future__ import annotations

from flask import Blueprint

from app.models import Role
from app.services import directory
from app.web import render, require_role

bp = Blueprint("admin", __name__, url_prefix="/administration")


@bp.get("/")
@require_role(Role.ADMIN)
def index():
    """Recent directory sync runs, and the way to start one."""
    return render("admin/index.html", runs=directory.recent_runs())


from app.blueprints.admin import (  # noqa: E402, F401  (registers their routes)
    audit_log,
    roles,
    sync_runs,
)
