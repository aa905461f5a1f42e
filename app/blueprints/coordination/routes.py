"""The coordinator's view of the whole group."""

from __future__ import annotations

from flask import Blueprint

from app.models import Role
from app.services import people
from app.web import render, require_role

bp = Blueprint("coordination", __name__, url_prefix="/samordning")


@bp.get("/")
@require_role(Role.COORDINATOR)
def index():
    """Organizations of the group and how many people each has, per kind."""
    return render("coordination/index.html", overview=people.organization_overview())
