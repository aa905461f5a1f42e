"""Importing a system list from CSV: upload, preview, then apply all rows or none."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import HiddenField

from app import htmx
from app.blueprints.systems.routes import bp
from app.extensions import csrf, db
from app.models import Role
from app.services import csv_upload, system_import
from app.web import render, require_role

# Room for the multipart envelope and the CSRF token around a file of at most 2 MB.
UPLOAD_LIMIT = system_import.MAX_BYTES + 64 * 1024
# The previewed text comes back as a form field: 2 MB of Windows-1252 can take up to
# three times as many bytes as UTF-8.
APPLY_LIMIT = 3 * system_import.MAX_BYTES + 64 * 1024


class UploadForm(FlaskForm):
    """The CSV file to preview."""

    file = FileField(_l("CSV-fil med systemlistan"),
                     validators=[FileRequired(_l("Välj en fil att ladda upp."))],
                     render_kw={"accept": ".csv,.txt,text/csv"})


class ApplyForm(FlaskForm):
    """The previewed text, carried back with its signature so it cannot be swapped."""

    text = HiddenField()
    file_name = HiddenField()
    signature = HiddenField()


def _signature(text: str, file_name: str) -> str:
    """HMAC-SHA256 of the text, the file name and the coordinator, keyed by the app.

    A bare SHA-256 could be recomputed by anyone who changes the text; the apply step
    checks every row again anyway, so this only guarantees that what is imported is
    exactly what this coordinator saw in the preview.
    """
    key = current_app.secret_key
    key = key.encode() if isinstance(key, str) else bytes(key or b"")
    message = "\0".join(("system-import", str(current_user.id), file_name, text))
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def _limit_and_check_csrf(limit: int) -> None:
    """Raise the request limits for this route, then check the CSRF token.

    The app-wide CSRF check reads the form before any view runs, with the default limit
    of 500 kB for a form field, which the previewed text may exceed. These routes are
    exempt from it and check the token here instead, after raising the limits.
    """
    request.max_content_length = limit
    request.max_form_memory_size = limit
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()


def _page(form: UploadForm | None = None, result: system_import.ImportResult | None = None,
          apply_form: ApplyForm | None = None, errors: list[str] | None = None,
          status: int = 200) -> Any:
    return render("systems/import.html", form=form or UploadForm(formdata=None),
                  result=result, apply_form=apply_form, errors=errors or [],
                  counts=result.counts() if result else {}, columns=system_import.COLUMNS,
                  status=status)


def _too_large() -> Any:
    return _page(errors=[_("Filen är större än 2 MB. Dela upp den i flera filer.")],
                 status=422)


@bp.get("/systemregister/import")
@require_role(Role.COORDINATOR)
def import_form():
    """The upload form and the description of the columns."""
    return _page()


@bp.post("/systemregister/import")
@csrf.exempt
@require_role(Role.COORDINATOR)
def import_preview():
    """Read and check the file; show what would be created, updated or rejected.

    Nothing is written: the service tries every row inside a savepoint it rolls back.
    """
    try:
        _limit_and_check_csrf(UPLOAD_LIMIT)
        form = UploadForm()
        valid = form.validate_on_submit()
    except RequestEntityTooLarge:
        return _too_large()
    if not valid:
        return _page(form, status=422)
    upload = form.file.data
    file_name = (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1][:200]
    data = upload.stream.read(system_import.MAX_BYTES + 1)
    if len(data) > system_import.MAX_BYTES:
        return _too_large()
    text = csv_upload.read_file(data)
    try:
        result = system_import.preview(current_user, text, file_name)
    except csv_upload.FileRefused as refused:
        db.session.rollback()
        form.form_errors.extend(refused.messages)
        return _page(form, status=422)
    apply_form = ApplyForm(formdata=None, text=text, file_name=file_name,
                           signature=_signature(text, file_name))
    return _page(form, result=result, apply_form=apply_form)


@bp.post("/systemregister/import/genomfor")
@csrf.exempt
@require_role(Role.COORDINATOR)
def import_apply():
    """Check the previewed text again and import every row in one transaction, or none."""
    try:
        _limit_and_check_csrf(APPLY_LIMIT)
        form = ApplyForm()
    except RequestEntityTooLarge:
        return _too_large()
    text = csv_upload.normalize(form.text.data or "")
    file_name = (form.file_name.data or "")[:200]
    if not hmac.compare_digest((form.signature.data or "").encode(),
                               _signature(text, file_name).encode()):
        return _page(errors=[_("Inget importerades: innehållet har ändrats sedan "
                               "förhandsgranskningen. Ladda upp filen igen.")], status=422)
    try:
        result = system_import.apply(current_user, text, file_name)
    except system_import.ImportRefused as refused:
        db.session.rollback()
        return _page(result=refused.result, errors=[refused.message], status=422)
    except csv_upload.FileRefused as refused:
        db.session.rollback()
        return _page(errors=refused.messages, status=422)
    db.session.commit()
    counts = result.counts()
    flash(_("%(created)d system skapade, %(updated)d uppdaterade, %(unchanged)d "
            "oförändrade.", created=counts["create"], updated=counts["update"],
            unchanged=counts["unchanged"]), "info")
    return htmx.redirect(url_for("systems.register"))
