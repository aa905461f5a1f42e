"""Forms of the checklist pages; the services check every value again."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import Length

from app.blueprints.systems.forms import DomainErrorForm
from app.services.checklist_templates import ItemFields


class TickForm(DomainErrorForm):
    """Ticking an item: a note or evidence link (required by some items), and the reason
    when the coordinator ticks on someone's behalf."""

    note = TextAreaField(_l("Anteckning"), validators=[Length(max=2000)])
    evidence_link = StringField(_l("Länk till underlag"), validators=[Length(max=1000)])
    on_behalf_reason = StringField(_l("Skäl att bocka av för den ansvariga"),
                                   validators=[Length(max=1000)])


class ItemForm(DomainErrorForm):
    """A template item as the coordinator writes it."""

    title = StringField(_l("Rubrik"), validators=[Length(max=300)])
    help_text = TextAreaField(_l("Hjälptext (Markdown)"), validators=[Length(max=5000)])
    document_id = SelectField(_l("Styrdokument att länka till"), validate_choice=False)
    requires_note = BooleanField(_l("Kräver anteckning eller länk till underlag"))
    due_month = SelectField(_l("Månad i årshjulet"), validate_choice=False)
    apply_now = BooleanField(_l("Gäller redan i år (annars från nästa år)"))

    def fields(self) -> ItemFields:
        document, month = self.document_id.data or "", self.due_month.data or ""
        return ItemFields(title=self.title.data or "", help_text=self.help_text.data or "",
                          document_id=int(document) if document.isdigit() else None,
                          requires_note=bool(self.requires_note.data),
                          due_month=int(month) if month.isdigit() else None)
