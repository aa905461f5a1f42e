"""LDAP over TLS against a real slapd: LDAPS and StartTLS with a configured CA file.

What an IT admin checks before pointing the portal at the municipality's directory: the
sync and sign-in work encrypted when PORTAL_LDAP_CA_FILE holds the CA that signed the
server's certificate, and refuse (changing nothing) when it does not, when no CA file is
given, or when the certificate is issued for another host. Each success test has a
failing twin that differs only in the certificate check, which is what shows the
connection really was TLS and the certificate really was verified.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Person, SyncChange, SyncRun
from app.models.sync import SyncStatus
from app.services import directory
from ldap_sync import sync
from ldap_sync.source import SourceError
from tests.conftest import DEMO_LDIF, DEMO_SUFFIX, SERVICE_DN, SERVICE_PASSWORD
from tests.helpers import post_form, text_of
from tests.slapd import SlapdServer, start_slapd
from tests.tls import TlsFiles, make_tls_files

DEMO_PEOPLE = 302
DIRECTORY_DOWN = "Katalogen svarar inte just nu. Försök igen om en stund."


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def tls_slapd(tmp_path_factory: pytest.TempPathFactory,
              tls_files: TlsFiles) -> Iterator[SlapdServer]:
    """The demo directory, served with StartTLS on url and LDAPS on ldaps_url."""
    server = start_slapd(tmp_path_factory.mktemp("slapd-tls"), DEMO_SUFFIX, DEMO_LDIF,
                         tls=tls_files)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def misnamed_slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlapdServer]:
    """The demo directory with a certificate from a trusted CA, but for another host."""
    files = make_tls_files(tmp_path_factory.mktemp("tls-misnamed"), "ldap.exempelby.se",
                           "DNS:ldap.exempelby.se")
    server = start_slapd(tmp_path_factory.mktemp("slapd-misnamed"), DEMO_SUFFIX, DEMO_LDIF,
                         tls=files)
    yield server
    server.stop()


def use_directory(config, server: SlapdServer, how: str, ca_file: Path | None) -> None:
    """Point the portal at server over "ldaps" or "starttls", trusting ca_file."""
    assert how in ("ldaps", "starttls")
    config(LDAP_URL=server.ldaps_url if how == "ldaps" else server.url,
           LDAP_START_TLS=how == "starttls", LDAP_CA_FILE=str(ca_file) if ca_file else "",
           LDAP_BIND_DN=SERVICE_DN, LDAP_BIND_PASSWORD=SERVICE_PASSWORD,
           LDAP_BASE_DNS=[DEMO_SUFFIX])


def run_sync(app) -> sync.Plan:
    return sync.run(directory.sync_source(app.config), sync.SyncSettings.from_config(app.config))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def only_run() -> SyncRun:
    runs = db.session.scalars(select(SyncRun)).all()
    assert len(runs) == 1
    return runs[0]


def sign_in(client, username: str, password: str):
    return post_form(client, "/logga-in", {"username": username, "password": password})


@pytest.mark.parametrize("how", ["ldaps", "starttls"])
def test_a_sync_over_tls_with_the_right_ca_file_reads_the_whole_directory(app, config,
                                                                          tls_slapd, tls_files,
                                                                          how):
    use_directory(config, tls_slapd, how, tls_files.ca_cert)
    plan = run_sync(app)
    assert len(plan.creates) == DEMO_PEOPLE
    assert count(Person) == DEMO_PEOPLE
    run = only_run()
    assert run.status == SyncStatus.SUCCEEDED, run.error
    assert (run.entries_read, run.created) == (DEMO_PEOPLE, DEMO_PEOPLE)
    scheme = "ldaps://" if how == "ldaps" else "ldap://"
    assert run.source.startswith(f"LDAP {scheme}127.0.0.1:")


@pytest.mark.parametrize("how", ["ldaps", "starttls"])
@pytest.mark.parametrize("ca", ["unrelated CA", "no CA file"])
def test_a_sync_over_tls_fails_and_changes_nothing_when_the_certificate_is_not_trusted(
        app, config, tls_slapd, tls_files, how, ca):
    # Without a CA file libldap trusts the system's CA bundle, which has never heard of
    # the CA that signed this server's certificate.
    use_directory(config, tls_slapd, how, tls_files.wrong_ca_cert if ca == "unrelated CA"
                  else None)
    with pytest.raises(SourceError):
        run_sync(app)
    assert count(Person) == 0
    assert count(SyncChange) == 0
    run = only_run()
    assert run.status == SyncStatus.FAILED
    assert (run.entries_read, run.created) == (0, 0)
    assert "certificate" in run.error.lower(), run.error
    assert SERVICE_PASSWORD not in run.error


@pytest.mark.parametrize("how", ["ldaps", "starttls"])
def test_a_sync_fails_when_the_certificate_is_issued_for_another_host(app, config,
                                                                      misnamed_slapd, how):
    # The right CA, but the certificate names ldap.exempelby.se and the URL 127.0.0.1.
    use_directory(config, misnamed_slapd, how, misnamed_slapd.tls.ca_cert)
    with pytest.raises(SourceError):
        run_sync(app)
    assert count(Person) == 0
    run = only_run()
    assert run.status == SyncStatus.FAILED
    assert "certificate" in run.error.lower(), run.error


def test_a_server_that_is_down_is_not_blamed_on_its_certificate(app, config, tls_files):
    # The twin of the tests above: the certificate hint must not send an admin chasing
    # CA files when nothing listens at all.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config(LDAP_URL=f"ldaps://127.0.0.1:{port}", LDAP_START_TLS=False,
           LDAP_CA_FILE=str(tls_files.ca_cert), LDAP_BIND_DN=SERVICE_DN,
           LDAP_BIND_PASSWORD=SERVICE_PASSWORD, LDAP_BASE_DNS=[DEMO_SUFFIX])
    with pytest.raises(SourceError):
        run_sync(app)
    run = only_run()
    assert run.status == SyncStatus.FAILED
    assert "Can't contact LDAP server" in run.error
    assert "certificate" not in run.error.lower()


@pytest.mark.parametrize("how", ["starttls", "ldaps"])
def test_signing_in_over_tls_with_the_right_ca_file_works(client, config, tls_slapd,
                                                          tls_files, how):
    use_directory(config, tls_slapd, how, tls_files.ca_cert)
    response = sign_in(client, "maria.nilsson", "demo")
    assert response.status_code == 303, text_of(response)
    page = text_of(client.get("/"))
    assert "Mina uppgifter" in page and "Maria Nilsson" in page
    # Hired since the last sync (there was none): created from the directory entry.
    assert db.session.scalars(select(Person.username)).all() == ["maria.nilsson"]


@pytest.mark.parametrize("how", ["starttls", "ldaps"])
def test_signing_in_with_the_wrong_ca_file_is_refused_and_creates_nobody(client, config,
                                                                         tls_slapd,
                                                                         tls_files, how):
    use_directory(config, tls_slapd, how, tls_files.wrong_ca_cert)
    response = sign_in(client, "maria.nilsson", "demo")
    assert response.status_code == 422
    assert DIRECTORY_DOWN in text_of(response)
    assert client.get("/").status_code == 302  # still signed out
    assert count(Person) == 0
    assert count(AuditEvent) == 0
