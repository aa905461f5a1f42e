"""Configuration from the environment and the refusal to run insecurely."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from app import create_app
from app.config import SETTINGS, load_json_object, load_level_labels
from app.extensions import db

ROOT_README = Path(__file__).resolve().parent.parent / "README.md"


def test_production_refuses_to_start_without_a_real_secret_key(monkeypatch):
    monkeypatch.setenv("PORTAL_DEMO", "0")
    monkeypatch.delenv("PORTAL_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="PORTAL_SECRET_KEY"):
        create_app()
    monkeypatch.setenv("PORTAL_SECRET_KEY", "change-me")
    with pytest.raises(RuntimeError, match="PORTAL_SECRET_KEY"):
        create_app()


def test_production_starts_with_a_long_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_DEMO", "0")
    monkeypatch.setenv("PORTAL_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("PORTAL_DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite3'}")
    app = create_app()
    assert app.config["PORTAL_DEMO"] is False and app.config["SECRET_KEY"] == "x" * 40


def test_environment_settings_reach_the_config(monkeypatch):
    monkeypatch.setenv("PORTAL_DEMO", "1")
    monkeypatch.setenv("PORTAL_LDAP_BASE_DNS", "ou=A,dc=x,dc=se; ou=B,dc=x,dc=se")
    monkeypatch.setenv("PORTAL_COOKIE_SECURE", "1")
    monkeypatch.setenv("PORTAL_PROXY_FIX", "1")
    app = create_app()
    assert app.config["LDAP_BASE_DNS"] == ["ou=A,dc=x,dc=se", "ou=B,dc=x,dc=se"]
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["PROXY_FIX"] == 1


def test_organizations_setting_reads_inline_json_or_a_file(tmp_path):
    assert load_json_object('{"attribute": "o"}') == {"attribute": "o"}
    path = tmp_path / "orgs.json"
    path.write_text('{"organizations": {"Exempelby kommun": "municipality"}}', "utf-8")
    assert load_json_object(f"@{path}")["organizations"] == {"Exempelby kommun":
                                                                "municipality"}
    with pytest.raises(ValueError):
        load_json_object("[1, 2]")


def test_every_setting_is_documented_in_the_readme():
    readme = ROOT_README.read_text(encoding="utf-8")
    missing = [s.name for s in SETTINGS if f"`{s.name}`" not in readme]
    assert missing == []


def test_a_mistyped_directory_attribute_setting_stops_the_portal_at_start():
    with pytest.raises(ValueError, match="unknown directory attribute setting 'knd'"):
        create_app({"TESTING": True, "LDAP_ATTRIBUTES": {"knd": "employeeType"}})
    with pytest.raises(ValueError, match="unknown directory profile 'novell'"):
        create_app({"TESTING": True, "LDAP_PROFILE": "novell"})


def test_klassa_level_names_are_five_names_or_the_built_in_ones() -> None:
    assert load_level_labels("") == []
    assert load_level_labels('["Ingen", "Låg", "Medel", "Hög", "Kritisk"]')[4] == "Kritisk"
    for wrong in ('["Ingen", "Låg"]', '{"0": "Ingen"}', '["", "b", "c", "d", "e"]'):
        with pytest.raises(ValueError, match="five names"):
            load_level_labels(wrong)


def test_postgresql_connections_run_without_jit(app):
    """The follow-up's wide counting statements are far above PostgreSQL's JIT threshold;
    compiling them took seconds per page (benchmarks/follow_up_view.py)."""
    if db.engine.dialect.name == "postgresql":
        assert db.session.execute(text("SHOW jit")).scalar() == "off"
    else:
        # SQLite gets no PostgreSQL connection options.
        assert "connect_args" not in app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})


def test_session_time_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("PORTAL_DEMO", "1")
    monkeypatch.delenv("PORTAL_SESSION_HOURS", raising=False)
    monkeypatch.delenv("PORTAL_SESSION_IDLE_HOURS", raising=False)
    app = create_app()
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=10)
    assert app.config["SESSION_IDLE_LIFETIME"] == timedelta(hours=8)
    monkeypatch.setenv("PORTAL_SESSION_HOURS", "12")
    monkeypatch.setenv("PORTAL_SESSION_IDLE_HOURS", "0.5")
    app = create_app()
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=12)
    assert app.config["SESSION_IDLE_LIFETIME"] == timedelta(minutes=30)
