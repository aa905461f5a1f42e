"""Importing completions from the training platform's CSV file: upload, preview, then
record every row or none (services.training_import)."""

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
from wtforms import HiddenField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired

from app import htmx
from app.blueprints.trainings.routes import bp
from app.extensions import csrf, db
from app.models import Role, Training
from app.services import csv_upload, training_file, trainings
from app.services import training_import as importer
from app.services.csv_upload import too_large
from app.services.system_access import scope_from_grants
from app.web import current_grants, render, require_role

# Room for the multipart envelope, the choice and the CSRF token around a file of 5 MB.
UPLOAD_LIMIT = importer.MAX_BYTES + 64 * 1024
# The previewed text comes back as a form field: 5 MB of Windows-1252 can take up to
# three times as many bytes as UTF-8.
APPLY_LIMIT = 3 * importer.MAX_BYTES + 64 * 1024
# The preview lists at most this many rows per table; the counts are always whole.
SHOWN_ROWS = 500
CHOOSE = _l("Välj vad som identifierar personerna i filen.")


class UploadForm(FlaskForm):
    """The CSV file to preview and what identifies the people in it."""

    file = FileField(_l("CSV-fil från utbildningsplattformen"),
                     validators=[FileRequired(_l("Välj en fil att ladda upp."))],
                     render_kw={"accept": ".csv,.txt,text/csv"})
    identify_by = RadioField(
        _l("Personerna i filen identifieras med"), validate_choice=False,
        validators=[InputRequired(CHOOSE), AnyOf(training_file.IDENTIFY_BY, message=CHOOSE)],
        choices=[SelectChoice("username", _l("Användarnamn")),
                 SelectChoice("mail", _l("E-postadress")),
                 SelectChoice("employee_number", _l("Anställningsnummer"))])


class ApplyForm(FlaskForm):
    """The previewed text, carried back with its signature so it cannot be swapped."""

    text = HiddenField()
    file_name = HiddenField()
    identify_by = HiddenField()
    sha256 = HiddenField()
    signature = HiddenField()


def _signature(training_id: int, identify_by: str, file_name: str, sha256: str,
               text: str) -> str:
    """HMAC-SHA256 of what the preview showed, for this coordinator, keyed by the app.

    The import checks every row again anyway; this guarantees that what is imported is
    exactly the file, the choice and the training this coordinator saw in the preview.
    """
    key = current_app.secret_key
    key = key.encode() if isinstance(key, str) else bytes(key or b"")
    message = "\0".join(("training-import", str(current_user.id), str(training_id),
                         identify_by, file_name, sha256, text))
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def _limit_and_check_csrf(limit: int) -> None:
    """Raise the request limits for this route, then check the CSRF token.

    The app-wide CSRF check reads the form before any view runs, with the default limit
    of 500 kB for a form field, which the previewed text may exceed. These routes are
    exempt from it and check the token here instead, after the rights and after raising
    the limits.
    """
    request.max_content_length = limit
    request.max_form_memory_size = limit
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()


def _training(training_id: int) -> tuple[Training, str | None]:
    """The training, or 404 or 403 before anything of the request body is read; and why
    it takes no import, if so."""
    training = trainings.get(training_id)
    trainings.require_manager(scope_from_grants(current_grants()), training)
    return training, importer.closed_to_import(training)


def _page(training: Training, form: UploadForm | None = None,
          result: importer.ImportResult | None = None, apply_form: ApplyForm | None = None,
          errors: list[str] | None = None, closed: str | None = None,
          status: int = 200) -> Any:
    return render("trainings/import.html", training=training,
                  form=form or UploadForm(formdata=None), result=result,
                  apply_form=apply_form, errors=errors or [], closed=closed,
                  counts=result.counts() if result else {}, shown=SHOWN_ROWS,
                  identifier_columns=training_file.IDENTIFIER_COLUMNS,
                  date_columns=training_file.DATE_COLUMNS,
                  labels=training_file.identifier_labels(), status=status)


def _too_large(training: Training) -> Any:
    return _page(training, errors=[too_large(importer.MAX_BYTES)], status=422)


@bp.get("/utbildningar/<int:training_id>/import")
@require_role(Role.COORDINATOR)
def import_form(training_id: int):
    """The upload form and the description of the file."""
    training, closed = _training(training_id)
    return _page(training, closed=closed)


@bp.post("/utbildningar/<int:training_id>/import")
@csrf.exempt
@require_role(Role.COORDINATOR)
def import_preview(training_id: int):
    """Read and check the file; show who would be recorded and which rows are rejected.
    Nothing is written."""
    training, closed = _training(training_id)
    if closed:
        return _page(training, errors=[closed], closed=closed, status=422)
    try:
        _limit_and_check_csrf(UPLOAD_LIMIT)
        form = UploadForm()
        valid = form.validate_on_submit()
    except RequestEntityTooLarge:
        return _too_large(training)
    if not valid:
        return _page(training, form, status=422)
    upload = form.file.data
    file_name = (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1][:200]
    data = upload.stream.read(importer.MAX_BYTES + 1)
    try:
        result = importer.preview(current_user, training, data, file_name,
                                  form.identify_by.data)
    except csv_upload.FileRefused as refused:
        db.session.rollback()
        form.form_errors.extend(refused.messages)
        return _page(training, form, status=422)
    apply_form = ApplyForm(formdata=None, text=result.text, file_name=file_name,
                           identify_by=result.identify_by, sha256=result.sha256,
                           signature=_signature(training.id, result.identify_by, file_name,
                                                result.sha256, result.text))
    return _page(training, form, result=result, apply_form=apply_form)


@bp.post("/utbildningar/<int:training_id>/import/genomfor")
@csrf.exempt
@require_role(Role.COORDINATOR)
def import_apply(training_id: int):
    """Check the previewed text again and record every row in one transaction, or none."""
    training, closed = _training(training_id)
    if closed:
        return _page(training, errors=[closed], closed=closed, status=422)
    try:
        _limit_and_check_csrf(APPLY_LIMIT)
        form = ApplyForm()
    except RequestEntityTooLarge:
        return _too_large(training)
    text = csv_upload.normalize(form.text.data or "")
    file_name = (form.file_name.data or "")[:200]
    identify_by, sha256 = form.identify_by.data or "", form.sha256.data or ""
    expected = _signature(training.id, identify_by, file_name, sha256, text)
    if not hmac.compare_digest((form.signature.data or "").encode(), expected.encode()):
        return _page(training, errors=[_("Inget importerades: innehållet har ändrats sedan "
                                         "förhandsgranskningen. Ladda upp filen igen.")],
                     status=422)
    try:
        result = importer.apply(current_user, training, text, identify_by,
                                file_name=file_name, sha256=sha256)
    except importer.ImportRefused as refused:
        db.session.rollback()
        return _page(training, result=refused.result, errors=[refused.message],
                     status=422 if refused.result.of("rejected") else 500)
    except csv_upload.FileRefused as refused:
        db.session.rollback()
        return _page(training, errors=refused.messages, status=422)
    db.session.commit()
    counts = result.counts()
    flash(_("Importen från %(file)s är klar: %(added)d genomföranden registrerades, "
            "%(already)d fanns redan.", file=file_name, added=counts["add"],
            already=counts["already"]), "info")
    return htmx.redirect(url_for("trainings.report", training_id=training.id))
