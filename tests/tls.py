"""Throwaway certificates for testing LDAP over TLS, made with Debian's openssl CLI.

One CA signs a server certificate for 127.0.0.1 (and localhost); a second, unrelated CA
signs nothing and stands in for "the wrong CA file" an admin might configure. Nothing is
mocked: slapd serves the certificate and libldap checks it like it would in production.
"""

from __future__ import annotations

import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path

OPENSSL = "openssl"
DAYS = "2"  # long enough for any test session, short enough to be obviously throwaway
SERVER_NAME = "127.0.0.1"
# Test URLs use 127.0.0.1: libldap checks a URL host of "localhost" against the machine's
# own host name instead, so DNS:localhost only serves other clients (openssl s_client).
SUBJECT_ALT_NAME = "IP:127.0.0.1, DNS:localhost"

# A self-contained config, so the host's /etc/ssl/openssl.cnf cannot add or clash with
# extensions. Extension sections are picked with -extensions (req) or -extfile (x509).
CONFIG = """\
[req]
distinguished_name = subject
prompt = no

[subject]
CN = unused

[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = {subject_alt_name}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
"""


@dataclass(frozen=True)
class TlsFiles:
    """PEM files for one TLS-enabled test server and a CA that did not sign it."""

    ca_cert: Path  # the CA that signed server_cert: the right LDAP_CA_FILE
    ca_key: Path
    server_cert: Path  # for 127.0.0.1 and localhost, signed by ca_cert
    server_key: Path  # unencrypted, mode 0600, owned by whoever runs the tests (and slapd)
    wrong_ca_cert: Path  # an unrelated CA that signed nothing: a wrong LDAP_CA_FILE
    wrong_ca_key: Path


def _openssl(*args: str, cwd: Path) -> None:
    done = subprocess.run([OPENSSL, *args], cwd=cwd, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed ({done.returncode}):\n"
                           f"{done.stdout}{done.stderr}")


def _private_key(path: Path) -> Path:
    """An RSA key readable only by its owner: the test process and the slapd it starts.

    slapd runs as the same user as the tests (no -u), so 0600 suffices whether that
    user is root (CI) or not; group- or world-readable keys are what real setups avoid.
    """
    path.touch(mode=0o600)  # exists with the right mode before any key byte is written
    _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
             "-out", str(path), cwd=path.parent)
    path.chmod(0o600)
    return path


def _self_signed_ca(directory: Path, name: str, common_name: str,
                    config: Path) -> tuple[Path, Path]:
    """A CA key and its self-signed certificate; returns (cert, key)."""
    key = _private_key(directory / f"{name}.key")
    cert = directory / f"{name}.crt"
    _openssl("req", "-config", str(config), "-new", "-x509", "-key", str(key),
             "-subj", f"/O=LIS-portalen tests/CN={common_name}", "-days", DAYS,
             "-sha256", "-set_serial", str(secrets.randbits(63)),
             "-extensions", "ca_ext", "-out", str(cert), cwd=directory)
    return cert, key


def make_tls_files(directory: Path, server_name: str = SERVER_NAME,
                   subject_alt_name: str = SUBJECT_ALT_NAME) -> TlsFiles:
    """Create both CAs and the server key and certificate in directory (made if missing).

    server_name is the certificate's CN; subject_alt_name (OpenSSL syntax) is what
    clients check the host name of the URL against. Pass another name to get a
    certificate from the right CA that is issued for the wrong host.
    """
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "openssl.cnf"
    config.write_text(CONFIG.format(subject_alt_name=subject_alt_name), encoding="ascii")
    ca_cert, ca_key = _self_signed_ca(directory, "ca", "LIS test CA", config)
    wrong_ca_cert, wrong_ca_key = _self_signed_ca(directory, "wrong-ca",
                                                  "Unrelated test CA", config)
    server_key = _private_key(directory / "server.key")
    request = directory / "server.csr"
    _openssl("req", "-config", str(config), "-new", "-key", str(server_key),
             "-subj", f"/O=LIS-portalen tests/CN={server_name}", "-out", str(request),
             cwd=directory)
    server_cert = directory / "server.crt"
    _openssl("x509", "-req", "-in", str(request), "-CA", str(ca_cert), "-CAkey", str(ca_key),
             "-set_serial", str(secrets.randbits(63)), "-days", DAYS, "-sha256",
             "-extfile", str(config), "-extensions", "server_ext", "-out", str(server_cert),
             cwd=directory)
    request.unlink()
    return TlsFiles(ca_cert=ca_cert, ca_key=ca_key, server_cert=server_cert,
                    server_key=server_key, wrong_ca_cert=wrong_ca_cert, wrong_ca_key=wrong_ca_key)
