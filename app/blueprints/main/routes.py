"""The start page, "Mina uppgifter"."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user, login_required

from app.services import people
from app.web import current_roles, render

bp = Blueprint("main", __name__)


@bp.get("/")
@login_required
def index():
    """The signed-in person's own page: roles, unit and manager for now."""
    person = people.with_details(current_user.id)
    return render("main/index.html", person=person, roles=current_roles(),
                  grants=people.active_grants(current_user))
