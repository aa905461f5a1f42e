"""`flask --app wsgi reminders send [--dry-run]`."""

from __future__ import annotations

import click
from flask_babel import gettext as _
from flask_babel import ngettext

from app.models import ReminderKind
from app.services import DomainError, reminders

LISTED = 20  # names printed per list; the rest are counted


@click.group("reminders")
def reminders_group() -> None:
    """E-mail reminders of what people and managers have left to do."""


def _names(heading: str, names: list[str]) -> None:
    if not names:
        return
    click.echo(heading)
    for name in names[:LISTED]:
        click.echo(f"  {name}")
    if len(names) > LISTED:
        click.echo("  " + _("… och %(num)d till.", num=len(names) - LISTED))


@reminders_group.command("send")
@click.option("--dry-run", is_flag=True, help="Print who would get what; send and record nothing.")
def send_command(dry_run: bool) -> None:
    """Send each person a digest of what is overdue or due within 14 days, and each manager
    a weekly digest of their unit's gaps; at most one of each per person and week.

    Run daily by a timer. Exits non-zero when e-mail is not configured or the SMTP server
    fails; what was sent before the failure stays recorded.
    """
    try:
        result = reminders.send_due(dry_run)
    except DomainError as error:
        raise click.ClickException(error.message)
    if dry_run:
        click.echo(_("Torrkörning, inget skickades:"))
        for outgoing in result.planned:
            click.echo(f"  {outgoing.name} <{outgoing.address}>: {outgoing.subject}")
        people = result.count(ReminderKind.DIGEST, planned=True)
        managers = result.count(ReminderKind.UNIT_DIGEST, planned=True)
        click.echo(ngettext(
            "Skulle skicka %(num)d påminnelse till personer och %(managers)d till chefer; "
            "%(missing)d saknar e-postadress.",
            "Skulle skicka %(num)d påminnelser till personer och %(managers)d till chefer; "
            "%(missing)d saknar e-postadress.",
            people, managers=managers, missing=len(result.no_address)))
    else:
        people = result.count(ReminderKind.DIGEST)
        click.echo(ngettext(
            "Skickade %(num)d påminnelse till personer och %(managers)d till chefer; "
            "%(missing)d saknar e-postadress.",
            "Skickade %(num)d påminnelser till personer och %(managers)d till chefer; "
            "%(missing)d saknar e-postadress.",
            people, managers=result.count(ReminderKind.UNIT_DIGEST),
            missing=len(result.no_address)))
    _names(_("Saknar användbar e-postadress:"), result.no_address)
    _names(_("E-postservern tog inte emot:"), result.refused)
    if result.error is not None:
        left = len(result.planned) - len(result.sent) - len(result.refused)
        raise click.ClickException(ngettext(
            "Utskicket avbröts, %(num)d påminnelse skickades inte (den skickas vid nästa "
            "körning): %(error)s",
            "Utskicket avbröts, %(num)d påminnelser skickades inte (de skickas vid nästa "
            "körning): %(error)s", left, error=result.error))
