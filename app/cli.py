"""Command-line commands: `flask --app wsgi ldap-sync`, `flask --app wsgi checklists
generate`, `flask --app wsgi demo-systems`, `flask --app wsgi demo-documents`,
`flask --app wsgi demo-trainings` and `flask --app wsgi demo-checklists`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask_babel import gettext as _

from app import clock
from app.commands.reminders import reminders_group
from app.commands.snapshots import demo_follow_up_command, snapshots_group
from app.extensions import db
from app.services import DomainError, checklist_assignments, directory
from ldap_sync import lock, sync


def _print_plan(plan: sync.Plan, dry_run: bool) -> None:
    counts = sync.summary(plan)
    heading = _("Torrkörning, inget ändrades:") if dry_run else _("Synkroniseringen klar:")
    click.echo(heading)
    labels = {
        "created": _("skapade"), "updated": _("uppdaterade"), "deactivated": _("avaktiverade"),
        "reactivated": _("återaktiverade"), "unchanged": _("oförändrade"),
        "unresolved_managers": _("chefer som inte hittades"),
        "grants_added": _("roller tilldelade"), "grants_revoked": _("roller återkallade"),
    }
    for key, label in labels.items():
        click.echo(f"  {label}: {counts[key]}")
    for person, manager_dn in plan.unresolved_managers[:20]:
        click.echo("  " + _("%(user)s: chefen %(dn)s finns inte i katalogen",
                            user=person.username, dn=manager_dn))
    if len(plan.unresolved_managers) > 20:
        click.echo("  " + _("… och %(num)d till (se Administration).",
                            num=len(plan.unresolved_managers) - 20))


@click.command("ldap-sync")
@click.option("--ldif", "ldif_path", type=click.Path(exists=True, dir_okay=False),
              help="Read an LDIF file instead of the live directory.")
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@click.option("--force", is_flag=True,
              help="Deactivate even more than PORTAL_SYNC_MAX_DEACTIVATE_PERCENT.")
def ldap_sync_command(ldif_path: str | None, dry_run: bool, force: bool) -> None:
    """Sync people, units, managers and group roles from the directory.

    Exits non-zero when the run fails or is refused, so a timer or cron job notices.
    """
    try:
        source = directory.sync_source(current_app.config, ldif_path)
    except DomainError as error:
        raise click.ClickException(error.message)
    settings = sync.SyncSettings.from_config(current_app.config)
    try:
        plan = sync.run(source, settings, dry_run=dry_run, force=force)
    except lock.SyncLocked as error:
        raise click.ClickException(str(error))
    except directory.EXPECTED_ERRORS as error:
        raise click.ClickException(_("Synkroniseringen avbröts, inget ändrades: %(error)s",
                                     error=source.redact(str(error))))
    _print_plan(plan, dry_run)


@click.group("checklists")
def checklists_group() -> None:
    """Role checklists: who holds which checklist in a period."""


@checklists_group.command("generate")
@click.option("--period", type=click.IntRange(2000, 2100), default=None,
              help="The year to generate for (default: this year).")
def checklists_generate_command(period: int | None) -> None:
    """Create the checklist assignments the register and the directory call for, and move
    those whose holder changed. Idempotent: a second run changes nothing."""
    result = checklist_assignments.generate(period or clock.today().year)
    db.session.commit()
    click.echo(_("Checklistor för %(period)d: %(created)d nya, %(reassigned)d bytte "
                 "ansvarig, %(unassigned)d utan ansvarig", period=result.period,
                 created=result.created, reassigned=result.reassigned,
                 unassigned=result.unassigned))


@click.command("demo-systems")
def demo_systems_command() -> None:
    """Load the demo systems into an empty register (after the demo directory sync)."""
    from demo.systems import load_demo_systems

    try:
        loaded = load_demo_systems(clock.today())
    except LookupError as error:
        db.session.rollback()
        raise click.ClickException(_("Demosystemen lästes inte in: %(error)s", error=error))
    db.session.commit()
    click.echo(_("Demosystem inlästa: %(num)d", num=loaded))


@click.command("demo-documents")
def demo_documents_command() -> None:
    """Load the demo governing documents into an empty library (after demo-systems)."""
    from demo.documents import load_demo_documents

    try:
        loaded = load_demo_documents(clock.today())
    except LookupError as error:
        db.session.rollback()
        raise click.ClickException(_("Demodokumenten lästes inte in: %(error)s", error=error))
    db.session.commit()
    click.echo(_("Demodokument inlästa: %(num)d", num=loaded))


@click.command("demo-trainings")
def demo_trainings_command() -> None:
    """Load the demo trainings and completions when there are none (after demo-systems)."""
    from demo.trainings import load_demo_trainings

    try:
        loaded = load_demo_trainings(clock.today())
    except LookupError as error:
        db.session.rollback()
        raise click.ClickException(_("Demoutbildningarna lästes inte in: %(error)s",
                                     error=error))
    db.session.commit()
    click.echo(_("Demoutbildningar inlästa: %(num)d", num=loaded))


@click.command("demo-checklists")
def demo_checklists_command() -> None:
    """Generate this year's checklists and tick a realistic share of what is due (after
    demo-systems); ticks nothing when any item has been ticked."""
    from demo.checklists import load_demo_checklists

    try:
        ticked = load_demo_checklists(clock.today())
    except LookupError as error:
        db.session.rollback()
        raise click.ClickException(_("Demochecklistorna lästes inte in: %(error)s",
                                     error=error))
    db.session.commit()
    click.echo(_("Demochecklistor inlästa, avbockade punkter: %(num)d", num=ticked))


def register_cli(app: Flask) -> None:
    """Attach the commands to `flask`."""
    app.cli.add_command(ldap_sync_command)
    app.cli.add_command(checklists_group)
    app.cli.add_command(demo_systems_command)
    app.cli.add_command(demo_documents_command)
    app.cli.add_command(demo_trainings_command)
    app.cli.add_command(demo_checklists_command)
    app.cli.add_command(reminders_group)
    app.cli.add_command(snapshots_group)
    app.cli.add_command(demo_follow_up_command)
