"""Signing in and out: directory passwords, demo sign-in, rate limits and session tokens."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.clock import utcnow
from app.extensions import db
from app.models import Person, SignInAttempt
from app.services import DomainError, Forbidden, NotFound, audit
from app.services.directory import directory_from_config
from app.text import fold
from ldap_sync import sync
from ldap_sync.apply import record_in_audit_log
from ldap_sync.live import Directory
from ldap_sync.mapping import map_person
from ldap_sync.organizations import OrganizationMap
from ldap_sync.profiles import Profile
from ldap_sync.source import SourceError


class SignInRefused(DomainError):
    """Wrong credentials, an inactive account or too many attempts."""


def person_for_session(token: str | None) -> Person | None:
    """The active person whose current session token this is."""
    if not token:
        return None
    # Every page header shows the person's organization: load it in the same query.
    return db.session.scalar(select(Person).options(joinedload(Person.organization)).where(
        Person.session_token == token, Person.active.is_(True)))


def start_session(person: Person) -> str:
    """Give the person a fresh session token (ending sessions that carried the old one)."""
    person.session_token = secrets.token_urlsafe(32)
    audit.record(person, "auth.signed_in", "person", person.id)
    return person.session_token


def end_session(person: Person) -> None:
    """Invalidate the person's session on every worker and device."""
    person.session_token = None
    audit.record(person, "auth.signed_out", "person", person.id)


def expire_session(token: str, reason: str) -> Person | None:
    """End a sign-in that went unused too long or lasted too long (`reason` idle/absolute).

    Only a token that is still current is ended: a stale cookie from an earlier sign-in
    must not sign the person out of the device they signed in on since. Ending it also
    stops any copy of the cookie. The caller commits.
    """
    person = person_for_session(token)
    if person is not None:
        person.session_token = None
        audit.record(person, "auth.session_expired", "person", person.id, {"reason": reason})
    return person


def _recent_failures(username: str, address: str, window: timedelta) -> int:
    since = utcnow() - window
    return db.session.scalar(select(func.count()).select_from(SignInAttempt).where(
        SignInAttempt.username == username, SignInAttempt.client_address == address,
        SignInAttempt.attempted_at >= since, SignInAttempt.succeeded.is_(False))) or 0


def _record_attempt(username: str, address: str, succeeded: bool) -> None:
    db.session.add(SignInAttempt(username=username[:200], client_address=address[:64],
                                 attempted_at=utcnow(), succeeded=succeeded))


def sign_in_with_password(username: str, password: str, address: str,
                          config: dict[str, Any]) -> Person:
    """Check the password against the directory and return the person to sign in.

    The caller commits: a failed attempt is recorded for the rate limit even though
    SignInRefused is raised.
    """
    if any(ord(ch) < 32 for ch in username):
        # Control characters are never in a username; PostgreSQL would not even store them.
        raise SignInRefused(_("Fel användarnamn eller lösenord."))
    key = fold(username.strip())
    if _recent_failures(key, address, config["SIGNIN_WINDOW"]) >= config["SIGNIN_MAX_FAILURES"]:
        raise SignInRefused(_("För många misslyckade inloggningar. Vänta en stund och "
                              "försök igen."))
    directory = directory_from_config(config)
    if directory is None:
        raise SignInRefused(_("Inloggning mot katalogen är inte konfigurerad."))
    settings = sync.SyncSettings.from_config(config)
    profile = settings.get_profile()
    organizations = settings.organization_map()
    try:
        entry = directory.find_person([profile.username, *profile.login_aliases],
                                      username.strip(), settings.person_attributes())
        accepted = entry is not None and directory.check_password(entry[0], password)
    except SourceError:
        raise SignInRefused(_("Katalogen svarar inte just nu. Försök igen om en stund."))
    if not accepted or entry is None:
        _record_attempt(key, address, succeeded=False)
        raise SignInRefused(_("Fel användarnamn eller lösenord."))
    person = _person_from_entry(entry, directory, settings, profile, organizations)
    if person is None or not person.active:
        _record_attempt(key, address, succeeded=False)
        raise SignInRefused(_("Ditt konto är inte aktivt i portalen. Kontakta "
                              "informationssäkerhetssamordnaren."))
    _record_attempt(key, address, succeeded=True)
    return person


def _person_from_entry(entry: Any, directory: Directory, settings: sync.SyncSettings,
                       profile: Profile, organizations: OrganizationMap) -> Person | None:
    """The portal's person for a directory entry, created if hired since the last sync."""
    dn, attrs = entry
    found = map_person(dn, attrs, profile, organizations)
    person = db.session.scalar(select(Person).where(Person.directory_id == found.directory_id))
    if person is not None:
        return person
    # The entry's own memberOf (AD) says which role groups it is in; otherwise ask the groups.
    snapshot = sync.read([entry], settings)
    if not profile.member_of:
        snapshot.group_members = directory.groups_containing(dn, settings.group_roles())
    plan = sync.plan_for(snapshot, settings, full_read=False)
    record_in_audit_log(sync.apply_plan(plan, snapshot, "sign-in"), "sign-in")
    db.session.flush()
    return db.session.scalar(select(Person).where(Person.directory_id == found.directory_id))


def demo_sign_in(person_id: int, demo_enabled: bool) -> Person:
    """Sign in as any active person without a password; only in demo mode."""
    if not demo_enabled:
        raise Forbidden(_("Demoinloggning är avstängd."))
    person = db.session.get(Person, person_id)
    if person is None:
        raise NotFound(_("Personen finns inte."))
    if not person.active:
        raise SignInRefused(_("Ditt konto är inte aktivt i portalen. Kontakta "
                              "informationssäkerhetssamordnaren."))
    return person
