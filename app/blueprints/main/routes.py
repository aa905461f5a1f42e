"""The start page, "Mina uppgifter"."""

from __future__ import annotations

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
