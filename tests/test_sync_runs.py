"""Sync runs as an administrator and an operator see them: one at a time across processes,
started from the web in the background, followed and reported.

These tests use a database of their own (`standalone_app`): the run happens in another
thread or process, which must see committed data, as in production.
"""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import func, select

from app.extensions import db
from app.models import Person, SyncRun, SyncStatus
from app.services import directory
from ldap_sync import lock, sync
from ldap_sync.source import LdifSource
from tests.conftest import DEMO_LDIF, ROOT
from tests.helpers import post_form, sign_in_as, text_of

LOCK_HOLDER = "nattjobb-server:999:0badf00d"


def flask_ldap_sync(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`flask --app wsgi ldap-sync` in a process of its own, as a systemd timer runs it."""
    env = {**os.environ, "PORTAL_DATABASE_URL": database_url, "PORTAL_DEMO": "1",
           "PORTAL_LDAP_ORGANIZATIONS": f"@{ROOT / 'demo' / 'organizations.json'}",
           "PORTAL_LDAP_URL": "", "PORTAL_LDAP_LDIF": ""}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "ldap-sync", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                          check=False)


def people_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Person))


def test_a_second_process_refuses_while_a_sync_holds_the_lock(standalone_app):
    url = standalone_app.config["SQLALCHEMY_DATABASE_URI"]
    with standalone_app.app_context():
        lock.acquire(LOCK_HOLDER)
    refused = flask_ldap_sync(url, "--ldif", str(DEMO_LDIF))
    assert refused.returncode != 0
    assert "En annan katalogsynkronisering pågår redan (nattjobb-server:999" in refused.stderr
    with standalone_app.app_context():
        assert people_count() == 0
        assert db.session.scalars(select(SyncRun.status)).all() == [SyncStatus.REFUSED]
        lock.release(LOCK_HOLDER)
    done = flask_ldap_sync(url, "--ldif", str(DEMO_LDIF))
    assert done.returncode == 0, done.stderr
    assert "skapade: 302" in done.stdout
    with standalone_app.app_context():
        assert people_count() == 302 and lock.holder() is None


def _demo_group(app) -> dict[str, int]:
    with app.app_context():
        sync.run(LdifSource(DEMO_LDIF), sync.SyncSettings.from_config(app.config))
        return {u: i for u, i in db.session.execute(select(Person.username, Person.id))}


def test_an_admin_starts_a_dry_run_from_the_web_and_follows_it(standalone_app):
    standalone_app.config["LDAP_LDIF"] = str(DEMO_LDIF)
    ids = _demo_group(standalone_app)
    client = standalone_app.test_client()
    sign_in_as(client, ids["erik.sandberg"])
    response = post_form(client, "/administration/synkronisering", {"dry_run": "1"},
                         token_from="/administration/")
    assert response.status_code == 303
    run_path = response.headers["Location"]
    run_id = int(run_path.rsplit("/", 1)[1])
    directory.background_runs[run_id].join(timeout=60)

    page = text_of(client.get(run_path))
    assert "Torrkörning klar" in page and "Oförändrade" in page
    assert "Torrkörning: detta skulle ha ändrats. Inget sparades." in page
    assert "Erik Sandberg" in page  # who started it
    fragment = client.get(run_path, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'id="run-detail"' in fragment and "every 1s" not in fragment
    with standalone_app.app_context():
        run = db.session.get(SyncRun, run_id)
        assert (run.status, run.dry_run, run.unchanged) == (SyncStatus.SUCCEEDED, True, 302)
    assert "Torrkörning klar" in text_of(client.get("/administration/"))


def test_a_running_sync_page_polls_and_a_second_start_is_refused(standalone_app):
    standalone_app.config["LDAP_LDIF"] = str(DEMO_LDIF)
    ids = _demo_group(standalone_app)
    with standalone_app.app_context():
        lock.acquire(LOCK_HOLDER)
        run_id = sync.start_record("LDIF demo")
    client = standalone_app.test_client()
    sign_in_as(client, ids["erik.sandberg"])
    fragment = client.get(f"/administration/synkronisering/{run_id}",
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in fragment and 'aria-busy="true"' in fragment
    response = post_form(client, "/administration/synkronisering", {},
                         token_from="/administration/")
    assert response.status_code == 422
    assert "En synkronisering pågår redan" in text_of(response)
    with standalone_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SyncRun)) == 2
        lock.release(LOCK_HOLDER)


def test_only_admins_may_start_or_see_a_sync(standalone_app):
    standalone_app.config["LDAP_LDIF"] = str(DEMO_LDIF)
    ids = _demo_group(standalone_app)
    client = standalone_app.test_client()
    sign_in_as(client, ids["maria.nilsson"])
    assert post_form(client, "/administration/synkronisering", {"dry_run": "1"},
                     token_from="/").status_code == 403
    assert client.get("/administration/synkronisering/1").status_code == 403
    with standalone_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SyncRun)) == 1
