"""`flask --app wsgi snapshots take [--month YYYY-MM]` and `flask --app wsgi
demo-follow-up`."""

from __future__ import annotations

from datetime import date

import click
from flask_babel import gettext as _

from app import clock
from app.extensions import db


@click.group("snapshots")
def snapshots_group() -> None:
    """Monthly snapshots of the group's follow-up figures, for the trend."""


def _month(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        year, month = (int(part) for part in text.split("-"))
        chosen = date(year, month, 1)
    except ValueError:
        raise click.BadParameter(_("Ange månaden som ÅÅÅÅ-MM, till exempel 2026-11."))
    if chosen > clock.today():
        raise click.BadParameter(_("Månaden har inte börjat än."))
    return chosen


@snapshots_group.command("take")
@click.option("--month", "month_text", metavar="YYYY-MM", default=None,
              help="The month to file the figures under (default: this month).")
def snapshots_take_command(month_text: str | None) -> None:
    """Store this month's figures of the group and of each organization. A month already
    taken is left as it is (the snapshots are append-only), so a second run stores nothing."""
    from app.services import charts, snapshots

    result = snapshots.take(_month(month_text))
    db.session.commit()
    month = charts.month_label(result.month)
    if not result.stored:
        click.echo(_("Ögonblicksbilderna för %(month)s fanns redan, inget sparades.",
                     month=month))
        return
    click.echo(_("Ögonblicksbilder för %(month)s: %(stored)d sparade, %(skipped)d fanns redan.",
                 month=month, stored=len(result.stored), skipped=len(result.skipped)))
    for label in result.stored:
        click.echo("  " + _("sparad: %(name)s", name=label))


@click.command("demo-follow-up")
def demo_follow_up_command() -> None:
    """Give the demo a trend: snapshots for the eleven months before this one, derived from
    today's figures (after the other demo commands); stores nothing for months that have one."""
    from demo.follow_up import load_demo_follow_up

    try:
        stored = load_demo_follow_up(clock.today())
    except LookupError as error:
        db.session.rollback()
        raise click.ClickException(_("Demons ögonblicksbilder lästes inte in: %(error)s",
                                     error=error))
    db.session.commit()
    click.echo(_("Demons ögonblicksbilder inlästa: %(num)d", num=stored))
