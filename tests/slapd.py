"""Start a real, throwaway OpenLDAP server (Debian's slapd) for the test suite.

Nothing is mocked: the LDAP sync and login code is exercised against the same server
software the municipality runs, so schema, ACL and size-limit behaviour are the real ones.
"""

from __future__ import annotations

import io
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import ldap
import ldap.modlist
import ldif

SLAPD = Path("/usr/sbin/slapd")
SLAPADD = Path("/usr/sbin/slapadd")
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIR = Path("/usr/lib/ldap")
SCHEMAS = ("core", "cosine", "nis", "inetorgperson")
START_TIMEOUT = 10.0  # seconds; a healthy slapd answers well within one second
STOP_TIMEOUT = 5.0


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


def _write_config(workdir: Path, suffix: str, root_password: str, size_limit: int | None) -> Path:
    """Write a slapd.conf; the legacy format is accepted by slapd 2.5 and needs no slaptest."""
    db_dir = workdir / "db"
    db_dir.mkdir(parents=True, exist_ok=True)
    lines = [f"include {SCHEMA_DIR / name}.schema" for name in SCHEMAS]
    lines += [
        f"pidfile {workdir / 'slapd.pid'}",
        f"argsfile {workdir / 'slapd.args'}",
        f"modulepath {MODULE_DIR}",
        "moduleload back_mdb",
        "database mdb",
        f'suffix "{suffix}"',
        f'rootdn "cn=admin,{suffix}"',
        f"rootpw {root_password}",
        f"directory {db_dir}",
        "maxsize 104857600",  # 100 MB: mdb maps this much address space up front
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


def start_slapd(
    workdir: Path,
    suffix: str,
    ldif_path: Path | None = None,
    *,
    size_limit: int | None = None,
    root_password: str = "admin-secret",
) -> SlapdServer:
    """Configure, optionally pre-load (via slapadd) and start slapd on a free localhost port."""
    if not SLAPD.exists() or not SLAPADD.exists():
        raise RuntimeError("slapd is not installed: run `make test`, which installs Debian's slapd")
    workdir.mkdir(parents=True, exist_ok=True)
    conf = _write_config(workdir, suffix, root_password, size_limit)
    if ldif_path is not None:
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
                f"slapadd failed ({loaded.returncode}):\n{loaded.stdout}{loaded.stderr}"
            )
    port = _free_port()
    url = f"ldap://127.0.0.1:{port}"
    stderr_path = workdir / "slapd.stderr"
    with stderr_path.open("wb") as stderr:
        # "-d" keeps slapd in the foreground as our child (so stop() can reap it); level
        # "none" still prints errors (e.g. bad config), whereas "-d 0" would hide them.
        process = subprocess.Popen(
            [str(SLAPD), "-d", "none", "-h", f"{url}/", "-f", str(conf)],
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
    )
    _wait_until_ready(server, stderr_path)
    return server
