"""Checks that stop a run whose read looks wrong before it deactivates anyone.

A short read (an empty search base, a directory answering with fewer people than it
holds) looks exactly like mass departures; these checks tell the two apart by refusing
what no ordinary night produces.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from flask_babel import gettext as _
from flask_babel import ngettext

from ldap_sync.dn import is_within, normalize_dn
from ldap_sync.mapping import DirectorySnapshot
from ldap_sync.reconcile import KnownPerson, Plan

NAMES_SHOWN = 20


class SyncRefused(Exception):
    """The run looked unsafe and changed nothing."""


def _active_directory_people(known: Iterable[KnownPerson]) -> list[KnownPerson]:
    return [k for k in known if k.active and not k.is_local and k.directory_id]


def check_read(snapshot: DirectorySnapshot, known: list[KnownPerson], plan: Plan,
               bases: Iterable[str]) -> None:
    """Refuse to deactivate anyone on an empty read, or within an empty base or organization.

    Not overridable with --force: an organization that really left the group is taken
    out of the configuration, not deactivated by a run that happened to read nothing.
    """
    if not plan.deactivations:
        return
    if not snapshot.people:
        raise SyncRefused(_("Katalogen returnerade inga personer. Ingen avaktiveras på en "
                            "tom läsning."))
    leaving_ids = set(plan.deactivations)
    leaving = {k.id: k for k in known if k.id in leaving_ids}
    read_dns = [p.dn_norm for p in snapshot.people.values()]
    leaving_dns = [normalize_dn(k.fields["directory_dn"] or "") for k in leaving.values()]
    for base in dict.fromkeys(normalize_dn(b) for b in bases if b):
        if any(is_within(dn, base) for dn in read_dns):
            continue
        missing = sum(1 for dn in leaving_dns if is_within(dn, base))
        if missing:
            raise SyncRefused(ngettext(
                "Sökbasen %(base)s gav inga personer, men %(num)d person där skulle ha "
                "avaktiverats. Ingen avaktiveras på en tom läsning.",
                "Sökbasen %(base)s gav inga personer, men %(num)d personer där skulle ha "
                "avaktiverats. Ingen avaktiveras på en tom läsning.", missing, base=base))
    read_orgs = {p.organization.name for p in snapshot.people.values() if p.organization}
    leaving_orgs = Counter(k.fields["organization"] for k in leaving.values()
                           if k.fields["organization"])
    for org, count in sorted(leaving_orgs.items()):
        if org not in read_orgs:
            raise SyncRefused(ngettext(
                "Katalogen gav ingen person i %(org)s, men %(num)d person där skulle ha "
                "avaktiverats. Ingen avaktiveras på en tom läsning.",
                "Katalogen gav ingen person i %(org)s, men %(num)d personer där skulle ha "
                "avaktiverats. Ingen avaktiveras på en tom läsning.", count, org=org))


def check_deactivations(plan: Plan, known: list[KnownPerson], max_share: float) -> None:
    """Refuse to deactivate more than `max_share` of the active people (unless forced)."""
    active = len(_active_directory_people(known))
    count = len(plan.deactivations)
    if not count or count <= max_share * active:
        return
    names = ", ".join(f"{plan.labels[pid][1]} ({plan.labels[pid][0]})"
                      for pid in plan.deactivations[:NAMES_SHOWN])
    more = count - NAMES_SHOWN
    raise SyncRefused(
        _("Körningen skulle avaktivera %(count)d av %(active)d aktiva personer "
          "(%(share).1f %%, gränsen är %(limit).1f %%). Kontrollera katalogen och kör med "
          "--force om det stämmer.", count=count, active=active,
          share=100 * count / active if active else 100.0, limit=100 * max_share)
        + " " + _("Bland dem: %(names)s", names=names)
        + (" " + ngettext("och %(num)d till.", "och %(num)d till.", more) if more > 0 else ""))
