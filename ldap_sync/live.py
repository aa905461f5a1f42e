"""The live directory: the only module that speaks LDAP over the network (python-ldap)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import ldap
import ldap.filter

from ldap_sync.dn import normalize_dn
from ldap_sync.source import Entry, SourceError, lower_keys


@dataclass(frozen=True)
class DirectorySettings:
    """How to reach the directory and where people are."""

    url: str
    bind_dn: str
    bind_password: str
    base_dns: tuple[str, ...]
    user_filter: str = "(objectClass=inetOrgPerson)"
    start_tls: bool = False
    ca_file: str = ""
    timeout: float = 10.0


class Directory:
    """Look-ups and password checks against a live LDAP server."""

    def __init__(self, settings: DirectorySettings) -> None:
        self.settings = settings

    def _connect(self) -> ldap.ldapobject.LDAPObject:
        s = self.settings
        conn = ldap.initialize(s.url)
        conn.set_option(ldap.OPT_PROTOCOL_VERSION, 3)
        conn.set_option(ldap.OPT_REFERRALS, 0)
        conn.set_option(ldap.OPT_NETWORK_TIMEOUT, s.timeout)
        conn.set_option(ldap.OPT_TIMEOUT, s.timeout)
        if s.ca_file:
            conn.set_option(ldap.OPT_X_TLS_CACERTFILE, s.ca_file)
        if s.url.startswith("ldaps://") or s.start_tls:
            conn.set_option(ldap.OPT_X_TLS_REQUIRE_CERT, ldap.OPT_X_TLS_DEMAND)
            conn.set_option(ldap.OPT_X_TLS_NEWCTX, 0)
        if s.start_tls and not s.url.startswith("ldaps://"):
            conn.start_tls_s()
        return conn

    def _service_connection(self) -> ldap.ldapobject.LDAPObject:
        conn = self._connect()
        conn.simple_bind_s(self.settings.bind_dn, self.settings.bind_password)
        return conn

    def find_person(self, username_attribute: str, username: str,
                    attributes: Iterable[str]) -> Entry | None:
        """The entry with this username, or None; the username is escaped for the filter."""
        value = ldap.filter.escape_filter_chars(username)
        query = f"(&{self.settings.user_filter}({username_attribute}={value}))"
        try:
            conn = self._service_connection()
            try:
                found: list[Entry] = []
                for base in self.settings.base_dns:
                    results = conn.search_ext_s(base, ldap.SCOPE_SUBTREE, query,
                                                [*attributes, "entryUUID"], sizelimit=2)
                    found += [(dn, lower_keys(attrs)) for dn, attrs in results if dn]
            finally:
                conn.unbind_s()
        except ldap.LDAPError as error:
            raise SourceError(f"directory look-up failed: {error}") from error
        # Two entries with one username: refuse rather than guess who is signing in.
        return found[0] if len(found) == 1 else None

    def check_password(self, dn: str, password: str) -> bool:
        """True when the directory accepts this password for this DN."""
        if not password:
            # An empty password is an anonymous bind, which succeeds: never accept it.
            return False
        conn = self._connect()
        try:
            conn.simple_bind_s(dn, password)
            return True
        except ldap.INVALID_CREDENTIALS:
            return False
        except ldap.LDAPError as error:
            raise SourceError(f"directory bind failed: {error}") from error
        finally:
            conn.unbind_s()

    def groups_containing(self, member_dn: str, group_dns: Iterable[str]) -> dict[str, set[str]]:
        """For each named group, {member_dn} if the person is a member, else an empty set."""
        members: dict[str, set[str]] = {}
        value = ldap.filter.escape_filter_chars(member_dn)
        try:
            conn = self._service_connection()
            try:
                for group in group_dns:
                    try:
                        hit = conn.search_s(group, ldap.SCOPE_BASE, f"(member={value})", ["1.1"])
                    except ldap.NO_SUCH_OBJECT:
                        hit = []
                    members[normalize_dn(group)] = {normalize_dn(member_dn)} if hit else set()
            finally:
                conn.unbind_s()
        except ldap.LDAPError as error:
            raise SourceError(f"directory group look-up failed: {error}") from error
        return members
