"""Starting a directory sync from the web and following it."""

from __future__ import annotations

from flask import current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.admin.routes import bp
from app.htmx import redirect
from app.models import Role
from app.services import DomainError, directory, roles
from app.web import render, require_role


@bp.post("/synkronisering")
@require_role(Role.ADMIN)
def start_sync():
    """Start a run in the background and go to its page, which follows its progress."""
    dry_run = request.form.get("dry_run") == "1"
    force = request.form.get("force") == "1"
    try:
        run_id = directory.start_sync(current_app._get_current_object(), current_user,
                                      dry_run=dry_run, force=force)
    except DomainError as error:
        return render("admin/index.html", runs=directory.recent_runs(),
                      start_error=error.message, status=422)
    flash(_("Synkroniseringen har startat."), "success")
    return redirect(url_for("admin.sync_run", run_id=run_id))


@bp.get("/synkronisering/<int:run_id>")
@require_role(Role.ADMIN)
def sync_run(run_id: int):
    """One run: its outcome, its counts and the people it changed, a page at a time."""
    run = directory.get_run(run_id)
    page = request.args.get("sida", default=1, type=int) or 1
    changes = directory.run_changes(run_id, request.args.get("typ") or None, page)
    return render("admin/sync_run.html", "admin/_sync_run_detail.html", run=run,
                  changes=changes, kinds=directory.CHANGE_KINDS, role_label=roles.role_label)
