"""Sign-in, demo sign-in and language forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length


class SignInForm(FlaskForm):
    username = StringField(_l("Användarnamn"), validators=[
        DataRequired(_l("Fyll i ditt användarnamn.")), Length(max=200)])
    password = PasswordField(_l("Lösenord"), validators=[
        DataRequired(_l("Fyll i ditt lösenord.")), Length(max=500)])
    next = HiddenField()


class DemoSignInForm(FlaskForm):
    person_id = IntegerField(_l("Person"), validators=[DataRequired(_l("Välj en person."))])


class LanguageForm(FlaskForm):
    locale = SelectField(_l("Språk"), choices=[SelectChoice("sv", "Svenska"),
                                               SelectChoice("en", "English")])
    next = HiddenField()
