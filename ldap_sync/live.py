"""The live directory: the only module that speaks LDAP over the network (python-ldap)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import ldap
import ldap.filter
from ldap.controls import SimplePagedResultsControl

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
    page_size: int = 500


def error_text(error: ldap.LDAPError) -> str:
    """What python-ldap says went wrong, without its dict punctuation."""
    detail = error.args[0] if error.args else {}
    if not isinstance(detail, dict):
        return str(error)
    text = str(detail.get("desc") or type(error).__name__)
    if detail.get("info"):
        text += f" ({detail['info']})"
    return text


class Directory:
    """Look-ups and password checks against a live LDAP server."""

    def __init__(self, settings: DirectorySettings) -> None:
        self.settings = settings

    @property
    def uses_tls(self) -> bool:
        return self.settings.url.lower().startswith("ldaps://") or self.settings.start_tls

    def _connect(self, require_cert: int = ldap.OPT_X_TLS_DEMAND) -> ldap.ldapobject.LDAPObject:
        s = self.settings
        conn = ldap.initialize(s.url)
        conn.set_option(ldap.OPT_PROTOCOL_VERSION, 3)
        conn.set_option(ldap.OPT_REFERRALS, 0)
        conn.set_option(ldap.OPT_NETWORK_TIMEOUT, s.timeout)
        conn.set_option(ldap.OPT_TIMEOUT, s.timeout)
        if s.ca_file:
            conn.set_option(ldap.OPT_X_TLS_CACERTFILE, s.ca_file)
        if self.uses_tls:
            conn.set_option(ldap.OPT_X_TLS_REQUIRE_CERT, require_cert)
            conn.set_option(ldap.OPT_X_TLS_NEWCTX, 0)
        if s.start_tls and not s.url.lower().startswith("ldaps://"):
            conn.start_tls_s()
        return conn

    def explain(self, error: ldap.LDAPError) -> str:
        """error_text, plus the cause when it was the server's TLS certificate.

        libldap built with GnuTLS (Debian, Ubuntu) reports a certificate it rejects only
        as "Can't contact LDAP server" or "Connect error" with "(unknown error code)", just
        like a server that is down. Costs a second connection, so only for the sync.
        """
        text = error_text(error)
        if isinstance(error, ldap.SERVER_DOWN | ldap.CONNECT_ERROR) and self._answers_unverified():
            trusted = (f"PORTAL_LDAP_CA_FILE ({self.settings.ca_file})" if self.settings.ca_file
                       else "the system's CA certificates (PORTAL_LDAP_CA_FILE is not set)")
            text += (f"; the server answers, but its TLS certificate was not accepted: check "
                     f"that {trusted} holds the CA that signed it and that it is issued for "
                     f"the host name in {self.settings.url}")
        return text

    def _answers_unverified(self) -> bool:
        """Whether the server answers over TLS when its certificate is not checked.

        Only an anonymous read of the root DSE goes over that connection: no credentials.
        """
        if not self.uses_tls:
            return False
        try:
            conn = self._connect(require_cert=ldap.OPT_X_TLS_ALLOW)
            try:
                conn.search_ext_s("", ldap.SCOPE_BASE, "(objectClass=*)", ["1.1"],
                                  timeout=self.settings.timeout)
            finally:
                conn.unbind_s()
        except (ldap.SERVER_DOWN, ldap.CONNECT_ERROR, ldap.TIMEOUT):
            return False
        except ldap.LDAPError:
            pass  # any LDAP answer means the TLS session was set up
        return True

    def _service_connection(self) -> ldap.ldapobject.LDAPObject:
        conn = self._connect()
        try:
            conn.simple_bind_s(self.settings.bind_dn, self.settings.bind_password)
        except ldap.LDAPError:
            with contextlib.suppress(ldap.LDAPError):
                conn.unbind_s()
            raise
        return conn

    def find_person(self, username_attributes: Iterable[str], username: str,
                    attributes: Iterable[str]) -> Entry | None:
        """The entry with this username, or None; the username is escaped for the filter."""
        value = ldap.filter.escape_filter_chars(username)
        alternatives = "".join(f"({name}={value})" for name in username_attributes)
        query = f"(&{self.settings.user_filter}(|{alternatives}))"
        try:
            conn = self._service_connection()
            try:
                found: list[Entry] = []
                for base in self.settings.base_dns:
                    results = conn.search_ext_s(base, ldap.SCOPE_SUBTREE, query,
                                                list(attributes), sizelimit=2)
                    found += [(dn, lower_keys(attrs)) for dn, attrs in results if dn]
            finally:
                conn.unbind_s()
        except ldap.LDAPError as error:
            raise SourceError(f"directory look-up failed: {error_text(error)}") from error
        # Two entries with one username: refuse rather than guess who is signing in.
        return found[0] if len(found) == 1 else None

    def check_password(self, dn: str, password: str) -> bool:
        """True when the directory accepts this password for this DN."""
        if not password:
            # An empty password is an anonymous bind, which succeeds: never accept it.
            return False
        conn = None
        try:
            conn = self._connect()
            conn.simple_bind_s(dn, password)
            return True
        except ldap.INVALID_CREDENTIALS:
            return False
        except ldap.LDAPError as error:
            raise SourceError(f"directory bind failed: {error_text(error)}") from error
        finally:
            if conn is not None:
                with contextlib.suppress(ldap.LDAPError):
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
            raise SourceError(f"directory group look-up failed: {error_text(error)}") from error
        return members


class LiveSource:
    """Every person under the search bases, read with paged searches; groups by DN.

    Whatever goes wrong — bind, timeout, a dropped connection, a size or admin limit,
    any non-success result, a server that stops paging — raises SourceError, so the
    run changes nothing. A partial read is never passed on as if it were complete.
    """

    full_read = True

    def __init__(self, settings: DirectorySettings, attributes: Iterable[str],
                 group_dns: Iterable[str] = (), group_member: str = "member") -> None:
        self.settings = settings
        self.group_member = group_member
        self.attributes = list(attributes)
        self.group_dns = [g for g in group_dns if g]
        self._directory = Directory(settings)

    def describe(self) -> str:
        return f"LDAP {self.settings.url} ({'; '.join(self.settings.base_dns)})"

    def redact(self, text: str) -> str:
        """Text safe to log: the service account's password never appears in it."""
        password = self.settings.bind_password
        return text.replace(password, "***") if password else text

    def entries(self, on_progress: Callable[[int], None] | None = None) -> Iterator[Entry]:
        """Yield every person entry, then the wanted groups; SourceError on any failure."""
        if not self.settings.base_dns:
            raise SourceError("no search base configured (PORTAL_LDAP_BASE_DNS)")
        step = "bind"
        try:
            conn = self._directory._service_connection()
        except ldap.LDAPError as error:
            raise SourceError(f"bind as {self.settings.bind_dn} failed: "
                              f"{self._directory.explain(error)}") from error
        try:
            read = 0
            seen: set[str] = set()
            for base in self.settings.base_dns:
                step = f"search under {base}"
                for page in self._pages(conn, base):
                    for dn, attrs in page:
                        if dn in seen:
                            continue  # overlapping search bases
                        seen.add(dn)
                        read += 1
                        yield dn, attrs
                    if on_progress is not None:
                        on_progress(read)
            for group in self.group_dns:
                step = f"read group {group}"
                yield self._group(conn, group)
        except ldap.LDAPError as error:
            raise SourceError(f"{step}: {error_text(error)}") from error
        finally:
            # The connection may already be gone; the run's outcome stands either way.
            with contextlib.suppress(ldap.LDAPError):
                conn.unbind_s()

    def _pages(self, conn: ldap.ldapobject.LDAPObject, base: str) -> Iterator[list[Entry]]:
        control = SimplePagedResultsControl(True, size=self.settings.page_size, cookie=b"")
        msgid = self._search(conn, base, control)
        while True:
            _, data, _, controls = conn.result3(msgid, all=1, timeout=self.settings.timeout)
            paged = [c for c in controls
                     if c.controlType == SimplePagedResultsControl.controlType]
            if not paged:
                raise SourceError(f"search under {base}: the server returned no paged-results "
                                  "control, so the read may be incomplete")
            cookie = paged[0].cookie
            if cookie:
                # Ask for the next page before mapping this one: the server prepares it
                # while we work.
                control.cookie = cookie
                msgid = self._search(conn, base, control)
            # Search references (dn None) are referrals, which the sync does not follow.
            yield [(dn, lower_keys(attrs)) for dn, attrs in data if dn]
            if not cookie:
                return

    def _search(self, conn: ldap.ldapobject.LDAPObject, base: str,
                control: SimplePagedResultsControl) -> int:
        return conn.search_ext(base, ldap.SCOPE_SUBTREE, self.settings.user_filter,
                               self.attributes, serverctrls=[control])

    def _group(self, conn: ldap.ldapobject.LDAPObject, group: str) -> Entry:
        try:
            found = conn.search_ext_s(group, ldap.SCOPE_BASE, "(objectClass=*)",
                                      ["objectClass", self.group_member],
                                      timeout=self.settings.timeout)
        except ldap.NO_SUCH_OBJECT as error:
            # A missing group would revoke every role it grants; that must be a decision.
            raise SourceError(f"group {group} does not exist") from error
        dn, attrs = found[0]
        return dn, lower_keys(attrs)
