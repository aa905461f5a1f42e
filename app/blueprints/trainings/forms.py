"""Forms of the training pages; the services check every value again."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from app.blueprints.documents.forms import AudienceFields, Checkboxes
from app.blueprints.systems.forms import DomainErrorForm, SwedishDateField
from app.models import ProofMethod
from app.services import trainings


class TrainingForm(DomainErrorForm, AudienceFields):
    """A training: what, where, for which period, for whom, and how it is proven."""

    title = StringField(_l("Titel"), validators=[Length(max=300)])
    description = TextAreaField(_l("Beskrivning (Markdown)"),
                                validators=[Length(max=trainings.MAX_DESCRIPTION)])
    link = StringField(_l("Länk till utbildningen"), validators=[Length(max=1000)])
    organization_id = SelectField(_l("Organisation"), validate_choice=False)
    period_starts_on = SwedishDateField(_l("Perioden börjar"), validators=[Optional()])
    period_ends_on = SwedishDateField(_l("Perioden slutar"), validators=[Optional()])
    due_on = SwedishDateField(_l("Genomförd senast"), validators=[Optional()])
    proof = RadioField(_l("Hur genomförandet visas"), validate_choice=False, default="both",
                       choices=[SelectChoice(ProofMethod.SELF.value,
                                             _l("Deltagaren bekräftar själv")),
                                SelectChoice(ProofMethod.IMPORT.value,
                                             _l("Import från utbildningsplattformen")),
                                SelectChoice(ProofMethod.BOTH.value, _l("Båda"))])

    def fields(self) -> trainings.TrainingFields:
        org = self.organization_id.data or ""
        return trainings.TrainingFields(
            title=self.title.data or "", description=self.description.data or "",
            link=self.link.data or "", organization_id=int(org) if org.isdigit() else None,
            period_starts_on=self.period_starts_on.data, period_ends_on=self.period_ends_on.data,
            due_on=self.due_on.data, proof=self.proof.data or "", audience=self.rule())


class CompleteForm(DomainErrorForm):
    """"Jag har genomfört utbildningen", with the day it was done."""

    completed_on = SwedishDateField(_l("Datum då du genomförde utbildningen"),
                                    validators=[Optional()])
    note = StringField(_l("Kommentar (frivillig)"), validators=[Length(max=500)])


class AttendanceForm(DomainErrorForm):
    """An attendance list (närvarolista): who took part and when."""

    person_ids = Checkboxes(_l("Deltagare"), coerce=str)
    completed_on = SwedishDateField(_l("Datum för utbildningstillfället"),
                                    validators=[Optional()])
    note = StringField(_l("Kommentar, till exempel var utbildningen hölls"),
                       validators=[Length(max=500)])


class CorrectionForm(DomainErrorForm):
    """The coordinator corrects a person's record: a new date, or none (not completed)."""

    completed_on = SwedishDateField(_l("Rätt datum (tomt = inte genomförd)"),
                                    validators=[Optional()])
    note = StringField(_l("Skäl till rättelsen"), validators=[Length(max=500)])
