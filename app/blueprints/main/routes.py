"""The start page, "Mina uppgifter", and the public accessibility statement."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint
from flask_login import current_user, login_required

from app.services import acknowledgements, checklist_facts, checklists, completions, people
from app.services.checklists import Access
from app.web import current_roles, render

bp = Blueprint("main", __name__)


@bp.get("/")
@login_required
def index():
    """The signed-in person's own page: checklists, documents to acknowledge, trainings,
    who they are."""
    person = people.with_details(current_user.id)
    tasks = acknowledgements.tasks_for(current_user, current_roles())
    trainings = completions.tasks_for(current_user, current_roles())
    lists = checklists.mine(current_user)
    return render("main/index.html", person=person, roles=current_roles(),
                  grants=people.active_grants(current_user),
                  open_tasks=[t for t in tasks if not t.done],
                  done_count=sum(1 for t in tasks if t.done), trainings=trainings,
                  checklists=lists, facts=checklist_facts.facts_for(lists),
                  access=Access(view=True, tick=True, on_behalf=False))


# When the accessibility statement was made and last reviewed; it is reviewed every year,
# and these change with it.
STATEMENT_MADE_ON = date(2026, 12, 3)
STATEMENT_REVIEWED_ON = date(2026, 12, 3)


@bp.get("/tillganglighetsredogorelse")
def accessibility_statement() -> Any:
    """The accessibility statement that the law on digital public service (2018:1937)
    requires. Public: anyone must be able to read it and learn how to report a shortcoming,
    also someone who cannot sign in."""
    return render("main/accessibility_statement.html", made_on=STATEMENT_MADE_ON,
                  reviewed_on=STATEMENT_REVIEWED_ON)
