"""Forms of the document pages. The services check every value again; the forms only
parse what the browser sent and tie messages to fields."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional

from app.blueprints.systems.forms import DomainErrorForm, SwedishDateField
from app.models import ChangeKind
from app.services import audience, documents, roles
from app.services.audience import AudienceRule
from app.services.system_access import CoordinatorScope


class SwedishIntegerField(IntegerField):
    """A whole number, refused with a Swedish message."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_("Ange ett heltal.")) from None


class Checkboxes(SelectMultipleField):
    """Several choices as checkboxes; the template draws them in a fieldset."""

    def pre_validate(self, form: Any) -> None:
        """Unknown values are the service's to refuse, with its Swedish message."""


class AudienceFields:
    """The audience rule's fields, shared by the document form and the count preview."""

    organization_ids = Checkboxes(_l("Organisationer"), coerce=str)
    unit_ids = Checkboxes(_l("Enheter"), coerce=str)
    include_sub_units = BooleanField(_l("Med underliggande enheter"), default=True)
    kinds = Checkboxes(_l("Personkategorier"), coerce=str)
    roles = Checkboxes(_l("Roller"), coerce=str)

    def rule(self) -> AudienceRule:
        return audience.parse_rule(self.organization_ids.data or [], self.unit_ids.data or [],
                                   bool(self.include_sub_units.data), self.kinds.data or [],
                                   self.roles.data or [])


class DocumentForm(DomainErrorForm, AudienceFields):
    """Title, kind, owner, audience and periods of a document."""

    title = StringField(_l("Titel"), validators=[Length(max=300)])
    kind = SelectField(_l("Dokumenttyp"), validate_choice=False)
    organization_id = SelectField(_l("Ägande organisation"), validate_choice=False)
    responsible = StringField(_l("Ansvarig samordnare"), validators=[Length(max=300)])
    requires_acknowledgement = BooleanField(_l("Målgruppen ska kvittera dokumentet"),
                                            default=True)
    review_interval_months = SwedishIntegerField(_l("Översyn, antal månader"), default=12)
    acknowledgement_days = SwedishIntegerField(_l("Tid för kvittens, antal dagar"), default=30)

    def fields(self) -> documents.DocumentFields:
        org = self.organization_id.data or ""
        return documents.DocumentFields(
            title=self.title.data or "", kind=self.kind.data or "",
            organization_id=int(org) if org.isdigit() else None,
            responsible=self.responsible.data or "",
            requires_acknowledgement=bool(self.requires_acknowledgement.data),
            review_interval_months=self.review_interval_months.data,
            acknowledgement_days=self.acknowledgement_days.data, audience=self.rule())


class AudienceForm(DomainErrorForm, AudienceFields):
    """Only the audience, read from the query string for the live count."""

    class Meta:
        csrf = False


def fill_choices(form: Any, scope: CoordinatorScope | None) -> None:
    """Choices of a form with an audience: the owning organization (among those in scope),
    the document kind if it has one, and the audience's organizations, units, kinds, roles."""
    organizations = roles.organizations()
    if hasattr(form, "kind"):
        form.kind.choices = [("", _("Välj…")), *documents.kind_labels().items()]
    if hasattr(form, "organization_id"):
        form.organization_id.choices = [("", _("Välj…"))] + [
            (str(o.id), o.name) for o in organizations if scope is None or scope.covers(o.id)]
    form.organization_ids.choices = [(str(o.id), o.name) for o in organizations]
    units = audience.units_in_order()
    form.unit_ids.choices = [(str(u.id), u.path) for u in units]
    form.unit_groups = [(o.name, [(str(u.id), u.path) for u in units if u.organization_id == o.id])
                        for o in organizations]
    form.kinds.choices = list(audience.kind_labels().items())
    form.roles.choices = list(audience.role_labels().items())


def rule_form_data(rule: AudienceRule) -> dict[str, Any]:
    """A stored rule as the form's initial values."""
    return {"organization_ids": [str(i) for i in rule.organization_ids],
            "unit_ids": [str(i) for i in rule.unit_ids],
            "include_sub_units": rule.include_sub_units, "kinds": list(rule.kinds),
            "roles": list(rule.roles)}


class DraftForm(DomainErrorForm):
    """A draft version's text and decision."""

    number = StringField(_l("Versionsnummer"), validators=[Length(max=20)])
    change_kind = RadioField(_l("Typ av ändring"), validate_choice=False, choices=[
        SelectChoice(ChangeKind.MAJOR.value,
                     _l("Större ändring: alla i målgruppen kvitterar på nytt")),
        SelectChoice(ChangeKind.EDITORIAL.value,
                     _l("Redaktionell ändring: ingen ny kvittens, tidigare kvittenser gäller"))])
    change_summary = TextAreaField(_l("Sammanfattning av ändringen"),
                                   validators=[Length(max=2000)])
    decided_by = StringField(_l("Beslutat av"), validators=[Length(max=200)])
    # Empty is allowed here: a draft may lack its decision date, and an empty "Gäller
    # från" means the decision date. The service says what publishing still needs.
    decision_date = SwedishDateField(_l("Beslutsdatum"), validators=[Optional()])
    reference = StringField(_l("Diarienummer"), validators=[Length(max=100)])
    valid_from = SwedishDateField(_l("Gäller från"), validators=[Optional()])
    # The service gives the Swedish message for a body over its limit (200,000).
    body = TextAreaField(_l("Text (Markdown)"))

    def fields(self) -> documents.DraftFields:
        return documents.DraftFields(
            number=self.number.data or "", body=self.body.data or "",
            change_kind=self.change_kind.data or "", change_summary=self.change_summary.data or "",
            decided_by=self.decided_by.data or "", decision_date=self.decision_date.data,
            reference=self.reference.data or "", valid_from=self.valid_from.data)


class AcknowledgeForm(DomainErrorForm):
    """"Jag har läst och förstått" for one exact version."""

    version_id = HiddenField()
    confirm = BooleanField(_l("Jag har läst och förstått"))


class WithdrawForm(DomainErrorForm):
    reason = TextAreaField(_l("Skäl till upphävandet"), validators=[Length(max=2000)])


class AdoptionForm(DomainErrorForm):
    """A company's board decision to adopt a document, or to stop applying it."""

    organization_id = SelectField(_l("Bolag"), validate_choice=False)
    action = RadioField(_l("Beslut"), validate_choice=False, default="adopted", choices=[
        SelectChoice("adopted", _l("Antar dokumentet (även senare versioner)")),
        SelectChoice("ended", _l("Upphör att tillämpa dokumentet"))])
    decided_by = StringField(_l("Beslutat av"), validators=[Length(max=200)])
    # Empty reaches the service, which asks for the date in Swedish.
    decision_date = SwedishDateField(_l("Beslutsdatum"), validators=[Optional()])
    reference = StringField(_l("Diarienummer"), validators=[Length(max=100)])
