"""A manager's unit: everyone reporting to them, directly or indirectly."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from app.models import Role
from app.services import people
from app.web import render, require_role

bp = Blueprint("unit", __name__, url_prefix="/min-enhet")


@bp.get("/")
@require_role(Role.MANAGER)
def index():
    """The people who report to the signed-in manager."""
    return render("unit/index.html", reports=people.reports_of(current_user))
