"""Start a real, throwaway OpenLDAP server (Debian's slapd) for the test suite.

Nothing is mocked: the LDAP sync and login code is exercised against the same server
software the municipality runs, so schema, ACL and size-limit behaviour are the real ones.
"""

from __future__ import annotations

import io
import re
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import ldap
import ldap.modlist
import ldif

from tests.tls import TlsFiles

SLAPD = Path("/usr/sbin/slapd")
SLAPADD = Path("/usr/sbin/slapadd")
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIR = Path("/usr/lib/ldap")
SCHEMAS = ("core", "cosine", "nis", "inetorgperson")
DEFAULT_MAX_SIZE = 104857600  # 100 MB of mdb map; plenty for the demo directory
START_TIMEOUT = 10.0  # seconds; a healthy slapd answers well within one second
STOP_TIMEOUT = 5.0
# RFC 2849's optional "version: 1" line (after any leading comment lines).
LDIF_VERSION_LINE = re.compile(r"\A((?:#[^\n]*\n)*)version:[ ]*1[ ]*\n")


@dataclass
class SlapdServer:
    """A running slapd child process plus what a test needs to talk to it."""

    url: str
    port: int
    suffix: str
    root_dn: str
    root_password: str
    workdir: Path
    process: subprocess.Popen[bytes] = field(repr=False)
    # Only when started with tls: slapd then also speaks LDAPS here, and StartTLS on url.
    ldaps_url: str | None = None
    tls: TlsFiles | None = None

    def stop(self) -> None:
        """Terminate slapd (SIGTERM, then SIGKILL after 5 s); leaves the workdir in place."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            # mdb is crash-safe, so a hard kill loses nothing a test could care about.
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        """SIGKILL slapd at once and reap it, e.g. to drop the server mid-search.

        Unlike stop() there is no grace period, so open connections see the socket die
        rather than a clean shutdown. stop() is a no-op afterwards.
        """
        if self.process.poll() is not None:
            return
        self.process.kill()
        self.process.wait()

    def _root_connection(self) -> ldap.ldapobject.LDAPObject:
        """Open a connection bound as the rootdn, which bypasses ACLs and size limits."""
        conn = ldap.initialize(self.url)
        conn.set_option(ldap.OPT_PROTOCOL_VERSION, 3)
        conn.set_option(ldap.OPT_REFERRALS, 0)
        conn.simple_bind_s(self.root_dn, self.root_password)
        return conn

    def add_ldif(self, ldif_text: str) -> None:
        """Add the entries of an LDIF text (content records only) to the running server."""
        records = ldif.LDIFRecordList(io.StringIO(ldif_text))
        records.parse()
        conn = self._root_connection()
        try:
            for dn, entry in records.all_records:
                conn.add_s(dn, ldap.modlist.addModlist(entry))
        finally:
            conn.unbind_s()

    def delete(self, dn: str) -> None:
        """Delete one (leaf) entry from the running server."""
        conn = self._root_connection()
        try:
            conn.delete_s(dn)
        finally:
            conn.unbind_s()

    def rename(self, dn: str, new_rdn: str, new_superior: str | None = None) -> None:
        """Rename an entry and/or move it under another parent (LDAP modrdn)."""
        conn = self._root_connection()
        try:
            conn.rename_s(dn, new_rdn, newsuperior=new_superior, delold=1)
        finally:
            conn.unbind_s()

    def modify_replace(self, dn: str, attrs: dict[str, list[bytes]]) -> None:
        """Replace the given attributes' values on one entry; an empty list removes it."""
        conn = self._root_connection()
        try:
            conn.modify_s(dn, [(ldap.MOD_REPLACE, name, values) for name, values in attrs.items()])
        finally:
            conn.unbind_s()


def _free_port() -> int:
    """Ask the kernel for an unused port; the tiny race until slapd binds it is acceptable."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _write_config(
    workdir: Path,
    suffix: str,
    root_password: str,
    size_limit: int | None,
    extra_schemas: tuple[Path, ...] = (),
    max_size: int = DEFAULT_MAX_SIZE,
    tls: TlsFiles | None = None,
) -> Path:
    """Write a slapd.conf; the legacy format is accepted by slapd 2.5 and needs no slaptest."""
    db_dir = workdir / "db"
    db_dir.mkdir(parents=True, exist_ok=True)
    lines = [f"include {SCHEMA_DIR / name}.schema" for name in SCHEMAS]
    # After the standard ones, because extra schemas (e.g. tests/ad.schema) build on
    # their attributes and classes. Absolute, because slapd resolves includes against
    # its own working directory, not the config file's.
    lines += [f"include {path.resolve()}" for path in extra_schemas]
    lines += [
        f"pidfile {workdir / 'slapd.pid'}",
        f"argsfile {workdir / 'slapd.args'}",
        f"modulepath {MODULE_DIR}",
    ]
    if tls is not None:
        # Global directives, so before any "database". Debian builds slapd with GnuTLS,
        # which (unlike OpenSSL) needs the signing CA in TLSCACertificateFile, ignores
        # TLSECName/TLSRandFile/TLSCRLCheck and wants GnuTLS priority strings in
        # TLSCipherSuite, so only these three are set. Clients are not asked for a
        # certificate (TLSVerifyClient stays "never"), as with the portal's directory.
        lines += [
            f"TLSCACertificateFile {tls.ca_cert.resolve()}",
            f"TLSCertificateFile {tls.server_cert.resolve()}",
            f"TLSCertificateKeyFile {tls.server_key.resolve()}",
        ]
    lines += [
        "moduleload back_mdb",
        "database mdb",
        f'suffix "{suffix}"',
        f'rootdn "cn=admin,{suffix}"',
        f"rootpw {root_password}",
        f"directory {db_dir}",
        # mdb maps this much address space up front and refuses writes beyond it.
        f"maxsize {max_size}",
        "index objectClass eq",
        "index uid,entryUUID eq",
        # Anonymous may only bind; any bound user (e.g. the sync service account) may read.
        "access to attrs=userPassword by self read by anonymous auth by * none",
        "access to * by users read by * none",
    ]
    # No directive means slapd's built-in default of 500 entries, which tests rely on.
    if size_limit is not None:
        lines.append(f"sizelimit {size_limit}")
    conf = workdir / "slapd.conf"
    conf.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return conf


def _wait_until_ready(server: SlapdServer, stderr_path: Path) -> None:
    """Poll with a real root bind until slapd answers; fail loudly if it dies or hangs."""
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if server.process.poll() is not None:
            log = stderr_path.read_text(errors="replace")
            raise RuntimeError(f"slapd exited with {server.process.returncode}:\n{log}")
        conn = ldap.initialize(server.url)
        conn.set_option(ldap.OPT_NETWORK_TIMEOUT, 1.0)
        conn.set_option(ldap.OPT_TIMEOUT, 1.0)
        try:
            conn.simple_bind_s(server.root_dn, server.root_password)
            conn.unbind_s()
            return
        except (ldap.SERVER_DOWN, ldap.TIMEOUT, ldap.CONNECT_ERROR):
            pass  # not listening yet
        if time.monotonic() > deadline:
            server.stop()
            log = stderr_path.read_text(errors="replace")
            raise RuntimeError(
                f"slapd did not answer on {server.url} within {START_TIMEOUT:.0f} s:\n{log}"
            )
        time.sleep(0.02)  # connection refused returns instantly; avoid a busy loop


def _without_version_line(ldif_text: str) -> str:
    """Drop RFC 2849's optional "version: 1" line, which slapadd cannot read.

    slapadd 2.5, unlike ldapadd and python-ldap, takes it for part of the first entry and
    fails ("str2entry: entry -1 has no dn"); without it the LDIF means the same.
    """
    return LDIF_VERSION_LINE.sub(r"\1", ldif_text, count=1)


def _slapadd(conf: Path, ldif_path: Path) -> None:
    """Load an LDIF file into the (not yet running) server's database."""
    # slapadd (offline) keeps operational attributes such as entryUUID, so tests know
    # stable ids in advance; an LDAP add would reject them as non-user-modifiable.
    loaded = subprocess.run(
        [str(SLAPADD), "-q", "-f", str(conf), "-l", str(ldif_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if loaded.returncode != 0:
        raise RuntimeError(
            f"slapadd of {ldif_path} failed ({loaded.returncode}):\n{loaded.stdout}{loaded.stderr}"
        )


def start_slapd(
    workdir: Path,
    suffix: str,
    ldif_path: Path | None = None,
    *,
    size_limit: int | None = None,
    root_password: str = "admin-secret",
    ldif_text: str | None = None,
    extra_schemas: tuple[Path, ...] = (),
    max_size: int = DEFAULT_MAX_SIZE,
    tls: TlsFiles | None = None,
) -> SlapdServer:
    """Configure, optionally pre-load (via slapadd) and start slapd on a free localhost port.

    ldif_path and ldif_text may both be given: the file is loaded first, then the text
    (written to the workdir), so generated entries can sit below the file's ones.
    extra_schemas are included after the standard schemas; max_size is mdb's maxsize in
    bytes (50,000 ad_directory users fill about 63 MB of the default 100 MB).
    With tls (see tests/tls.py), slapd serves that certificate: StartTLS on url, and
    LDAPS on a second free port, ldaps_url. The readiness check uses the plain url.
    """
    if not SLAPD.exists() or not SLAPADD.exists():
        raise RuntimeError("slapd is not installed: run `make test`, which installs Debian's slapd")
    workdir.mkdir(parents=True, exist_ok=True)
    for schema in extra_schemas:
        # Fail with the path here rather than with slapd's terse config error later.
        if not schema.is_file():
            raise FileNotFoundError(f"extra schema not found: {schema}")
    conf = _write_config(workdir, suffix, root_password, size_limit, extra_schemas, max_size,
                         tls)
    if ldif_path is not None:
        text = ldif_path.read_text(encoding="utf-8")
        if LDIF_VERSION_LINE.match(text):
            ldif_path = workdir / "preload.ldif"
            ldif_path.write_text(_without_version_line(text), encoding="utf-8")
        _slapadd(conf, ldif_path)
    if ldif_text is not None:
        generated = workdir / "generated.ldif"
        generated.write_text(_without_version_line(ldif_text), encoding="utf-8")
        _slapadd(conf, generated)
    port = _free_port()
    url = f"ldap://127.0.0.1:{port}"
    listeners = [f"{url}/"]
    ldaps_url = None
    if tls is not None:
        ldaps_port = _free_port()
        while ldaps_port == port:  # the kernel may hand out a just-released port again
            ldaps_port = _free_port()
        ldaps_url = f"ldaps://127.0.0.1:{ldaps_port}"
        listeners.append(f"{ldaps_url}/")
    stderr_path = workdir / "slapd.stderr"
    with stderr_path.open("wb") as stderr:
        # "-d" keeps slapd in the foreground as our child (so stop() can reap it); level
        # "none" still prints errors (e.g. bad config), whereas "-d 0" would hide them.
        process = subprocess.Popen(
            [str(SLAPD), "-d", "none", "-h", " ".join(listeners), "-f", str(conf)],
            stdin=subprocess.DEVNULL,
            stdout=stderr,
            stderr=stderr,
        )
    server = SlapdServer(
        url=url,
        port=port,
        suffix=suffix,
        root_dn=f"cn=admin,{suffix}",
        root_password=root_password,
        workdir=workdir,
        process=process,
        ldaps_url=ldaps_url,
        tls=tls,
    )
    _wait_until_ready(server, stderr_path)
    return server
