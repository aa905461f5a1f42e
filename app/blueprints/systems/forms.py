"""Forms of the system pages. Choices are checked again by the services, which give a
Swedish message for a forged value."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from app.models import InformationSystem, LifecycleStatus
from app.services import DomainError, checks, roles, systems
from app.services.system_access import CoordinatorScope


class SwedishDateField(DateField):
    """A date as `<input type="date">` sends it, refused with a Swedish message."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_("Ange datumet som ÅÅÅÅ-MM-DD.")) from None


class DomainErrorForm(FlaskForm):
    """A form that shows a service's refusal beside the field it concerns."""

    def add_error(self, error: DomainError) -> None:
        field = self._fields.get(error.field or "")
        if field is not None and field.name != "csrf_token":
            field.errors = [*field.errors, error.message]
        else:
            self.form_errors.append(error.message)


def _int_or_none(value: Any) -> int | None:
    return int(value) if value not in (None, "") and str(value).isdigit() else None


class SystemForm(DomainErrorForm):
    """Everything the coordinator keeps about a system."""

    name = StringField(_l("Namn"), validators=[Length(max=200)])
    organization_id = SelectField(_l("Organisation"), validate_choice=False)
    unit_id = SelectField(_l("Verksamhet"), validate_choice=False)
    owner = StringField(_l("Systemägare"), validators=[Length(max=300)])
    administrators = TextAreaField(_l("Systemförvaltare"), validators=[Length(max=3000)])
    description = TextAreaField(_l("Beskrivning"), validators=[Length(max=5000)])
    supplier = StringField(_l("Leverantör"), validators=[Length(max=200)])
    personal_data = BooleanField(_l("Behandlar personuppgifter"))
    welfare_technology = BooleanField(_l("Välfärdsteknik"))
    vital_service = BooleanField(_l("Stöder samhällsviktig verksamhet (NIS)"))
    status = SelectField(_l("Status"), validate_choice=False)
    exception_reason = TextAreaField(_l("Skäl till undantag från kravet på klassning och "
                                        "riskanalys"), validators=[Length(max=2000)])
    notes = TextAreaField(_l("Anteckningar"), validators=[Length(max=5000)])

    def fields(self) -> systems.SystemFields:
        """The form's values as the service takes them."""
        return systems.SystemFields(
            name=self.name.data or "", organization_id=_int_or_none(self.organization_id.data),
            unit_id=_int_or_none(self.unit_id.data), owner=self.owner.data or "",
            administrators=checks.lines(self.administrators.data),
            description=self.description.data or "", supplier=self.supplier.data or "",
            personal_data=self.personal_data.data, welfare_technology=self.welfare_technology.data,
            vital_service=self.vital_service.data, status=self.status.data or "",
            notes=self.notes.data or "", exception_reason=self.exception_reason.data or "")


def system_form_for(scope: CoordinatorScope, system: InformationSystem | None = None
                    ) -> SystemForm:
    """The form with its choices; on a GET filled from the system being edited."""
    form = SystemForm()
    organizations = [org for org in roles.organizations() if scope.covers(org.id)]
    form.organization_id.choices = [("", _("Välj organisation"))] + [
        (str(org.id), org.name) for org in organizations]
    form.unit_id.choices = [("", _("Ingen angiven"))] + [
        (str(unit.id), f"{org.name}: {unit.path}")
        for org in organizations for unit in sorted(org.units, key=lambda u: u.path)]
    form.status.choices = [(s.value, systems.status_label(s)) for s in LifecycleStatus]
    if request.method == "POST":
        return form
    if system is None:
        form.status.data = LifecycleStatus.IN_USE.value
        return form
    for name in ("name", "description", "supplier", "personal_data", "welfare_technology",
                 "vital_service", "notes"):
        form[name].data = getattr(system, name)
    form.organization_id.data = str(system.organization_id)
    form.unit_id.data = str(system.unit_id or "")
    form.status.data = system.status.value
    form.owner.data = system.owner.username if system.owner else ""
    form.administrators.data = "\n".join(
        sorted(link.person.username for link in system.administrator_links))
    return form


class DescriptionForm(DomainErrorForm):
    """What a system owner may change."""

    description = TextAreaField(_l("Beskrivning"), validators=[Length(max=5000)])
    supplier = StringField(_l("Leverantör"), validators=[Length(max=200)])
    notes = TextAreaField(_l("Anteckningar"), validators=[Length(max=5000)])


class ClassificationForm(DomainErrorForm):
    """A KLASSA classification as the administrator records it."""

    classified_on = SwedishDateField(_l("Datum"), validators=[Optional()], format="%Y-%m-%d")
    klassa_version = StringField(_l("KLASSA-version"), validators=[Length(max=50)])
    participants = TextAreaField(_l("Deltagare"), validators=[Length(max=5000)])
    confidentiality = SelectField(_l("Konfidentialitet"), validate_choice=False)
    integrity = SelectField(_l("Riktighet"), validate_choice=False)
    availability = SelectField(_l("Tillgänglighet"), validate_choice=False)
    traceability = SelectField(_l("Spårbarhet"), validate_choice=False)
    notes = TextAreaField(_l("Kommentar"), validators=[Length(max=5000)])


class ApprovalForm(DomainErrorForm):
    """The owner's decision, with its date."""

    approved_on = SwedishDateField(_l("Beslutsdatum"), validators=[Optional()], format="%Y-%m-%d")


class AnalysisForm(DomainErrorForm):
    performed_on = SwedishDateField(_l("Datum"), validators=[Optional()], format="%Y-%m-%d")
    method = StringField(_l("Metod"), validators=[Length(max=200)])
    participants = TextAreaField(_l("Deltagare"), validators=[Length(max=5000)])
    summary = TextAreaField(_l("Sammanfattning"), validators=[Length(max=10000)])
    links = TextAreaField(_l("Länkar till dokument"), validators=[Length(max=20000)])


class RiskForm(DomainErrorForm):
    description = TextAreaField(_l("Risk"), validators=[Length(max=2000)])
    likelihood = SelectField(_l("Sannolikhet (1–4)"), validate_choice=False)
    consequence = SelectField(_l("Konsekvens (1–4)"), validate_choice=False)


class ActionItemForm(DomainErrorForm):
    description = TextAreaField(_l("Åtgärd"), validators=[Length(max=2000)])
    responsible = StringField(_l("Ansvarig"), validators=[Length(max=300)])
    due_on = SwedishDateField(_l("Klar senast"), validators=[Optional()], format="%Y-%m-%d")
    source = SelectField(_l("Kommer från"), validate_choice=False)


class ActionStatusForm(DomainErrorForm):
    status = SelectField(_l("Ny status"), validate_choice=False)
    note = TextAreaField(_l("Kommentar"), validators=[Length(max=2000)])
