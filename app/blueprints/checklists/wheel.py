"""The annual wheel (årshjul): the group's year for the coordinator, one's own for others."""

from __future__ import annotations

from flask import request
from flask_login import current_user, login_required

from app.blueprints.checklists.routes import bp
from app.clock import today
from app.services import annual_wheel
from app.services.system_access import scope_from_grants
from app.web import current_grants, current_roles, render


@bp.get("/arshjul")
@login_required
def wheel():
    """Twelve months with what is due in each; `egen=1` shows a coordinator their own."""
    year = request.args.get("ar", "")
    period = int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else today().year
    scope = scope_from_grants(current_grants())
    own = scope is None or request.args.get("egen") == "1"
    result = (annual_wheel.for_person(current_user, current_roles(), period) if own
              else annual_wheel.for_group(scope, period))
    return render("checklists/wheel.html", wheel=result, own=own,
                  coordinator=scope is not None, this_month=today().month
                  if period == today().year else None)
