"""Configuration from `PORTAL_*` environment variables.

Every setting the portal reads is listed here once, with its default, so the README
table and the code cannot drift apart: `SETTINGS` is what the README documents.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

INSECURE_KEYS = {"", "dev", "change-me", "demo-not-secret"}


@dataclass(frozen=True)
class Setting:
    """One environment variable, its default and what it means."""

    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("PORTAL_DATABASE_URL", "sqlite:///instance/portal.sqlite3",
            "SQLAlchemy URL; PostgreSQL as postgresql+psycopg://user:pw@host/db"),
    Setting("PORTAL_SECRET_KEY", "", "signs the session cookie; required outside demo/test"),
    Setting("PORTAL_DEMO", "0", "1 = demo sign-in without password (never in production)"),
    Setting("PORTAL_COOKIE_SECURE", "0",
            "1 = session cookie only over HTTPS, and HSTS (Strict-Transport-Security) "
            "on every response"),
    Setting("PORTAL_PROXY_FIX", "0", "number of trusted reverse proxies in front"),
    Setting("PORTAL_SESSION_HOURS", "10",
            "longest a sign-in lasts, however active the person is; checked by the server "
            "on every request, and the cookie's expiry"),
    Setting("PORTAL_SESSION_IDLE_HOURS", "8",
            "a sign-in ends after this many hours without a request; checked by the server, "
            "so a copied cookie stops working too"),
    Setting("PORTAL_LDAP_URL", "", "ldap:// or ldaps:// URL of the directory"),
    Setting("PORTAL_LDAP_BIND_DN", "", "service account used to look people up"),
    Setting("PORTAL_LDAP_BIND_PASSWORD", "", "its password"),
    Setting("PORTAL_LDAP_BASE_DNS", "", "search bases, separated by ';'"),
    Setting("PORTAL_LDAP_USER_FILTER", "",
            "LDAP filter for person entries; empty = the profile's "
            "((objectClass=inetOrgPerson) or AD's user accounts)"),
    Setting("PORTAL_LDAP_PROFILE", "openldap", "attribute mapping: openldap or ad"),
    Setting("PORTAL_LDAP_ATTRIBUTES", "",
            "JSON (or @file) overriding the profile's attributes, e.g. "
            '{"kind": "extensionAttribute1", "kind_values": {"K": "consultant"}}'),
    Setting("PORTAL_LDAP_LDIF", "",
            "sync from this LDIF file instead of the live directory (the demo uses it)"),
    Setting("PORTAL_LDAP_PAGE_SIZE", "500", "entries per page of the sync's paged search"),
    Setting("PORTAL_LDAP_START_TLS", "0", "1 = StartTLS on ldap:// connections"),
    Setting("PORTAL_LDAP_CA_FILE", "", "CA certificate file for TLS"),
    Setting("PORTAL_LDAP_TIMEOUT", "10", "seconds before a directory call gives up"),
    Setting("PORTAL_LDAP_COORDINATOR_GROUP", "", "DN of the group whose members are coordinators"),
    Setting("PORTAL_LDAP_ADMIN_GROUP", "", "DN of the group whose members are portal admins"),
    Setting("PORTAL_LDAP_ORGANIZATIONS", "",
            "JSON (or @file) mapping search bases or an attribute to organizations"),
    Setting("PORTAL_SYNC_MAX_DEACTIVATE_PERCENT", "5",
            "a sync refuses to deactivate more than this share of active people "
            "unless run with --force"),
    Setting("PORTAL_KLASSA_LEVEL_LABELS", "",
            "JSON list of the five names of KLASSA levels 0–4; empty = Ingen/försumbar, "
            "Måttlig, Betydande, Allvarlig, Synnerligen allvarlig"),
    Setting("PORTAL_CLASSIFICATION_REVIEW_MONTHS", "12",
            "a classification is due for review this many months after its approval"),
    Setting("PORTAL_DOCUMENT_KINDS", "",
            "JSON object of extra kinds of governing documents beside the built-in ones, "
            'e.g. {"plan": "Plan", "strategy": "Strategi"}'),
    Setting("PORTAL_SIGNIN_MAX_FAILURES", "5", "failed sign-ins per username and address"),
    Setting("PORTAL_SIGNIN_WINDOW_MINUTES", "15", "... within this many minutes"),
    Setting("PORTAL_SMTP_HOST", "", "SMTP server for reminders; empty = e-mail is off"),
    Setting("PORTAL_SMTP_PORT", "25", "its port"),
    Setting("PORTAL_SMTP_STARTTLS", "0", "1 = STARTTLS before signing in to the SMTP server"),
    Setting("PORTAL_SMTP_USER", "", "SMTP user name; empty = no SMTP sign-in"),
    Setting("PORTAL_SMTP_PASSWORD", "", "its password"),
    Setting("PORTAL_SMTP_SENDER", "lis-portalen@localhost", "From address of reminders"),
    Setting("PORTAL_SMTP_TIMEOUT", "30", "seconds before an SMTP call gives up"),
    Setting("PORTAL_BASE_URL", "http://127.0.0.1:5000",
            "the portal's address, for links in e-mail"),
)


def env(name: str) -> str:
    """Return the environment value of a setting, or its documented default."""
    default = next(s.default for s in SETTINGS if s.name == name)
    return os.environ.get(name, default)


def _flag(name: str) -> bool:
    return env(name).strip().lower() in {"1", "true", "yes", "on"}


def load_json_object(raw: str, name: str = "PORTAL_LDAP_ORGANIZATIONS") -> dict[str, Any]:
    """Parse a JSON setting: inline JSON, or `@path` to a JSON file."""
    raw = raw.strip()
    if not raw:
        return {}
    if raw.startswith("@"):
        raw = Path(raw[1:]).read_text(encoding="utf-8")
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be a JSON object")
    return value


def load_level_labels(raw: str) -> list[str]:
    """The five KLASSA level names from JSON, or [] for the built-in Swedish ones."""
    raw = raw.strip()
    if not raw:
        return []
    value = json.loads(raw)
    if (not isinstance(value, list) or len(value) != 5
            or not all(isinstance(v, str) and v.strip() for v in value)):
        raise ValueError("PORTAL_KLASSA_LEVEL_LABELS must be a JSON list of five names")
    return [v.strip() for v in value]


def load_document_kinds(raw: str) -> dict[str, str]:
    """Extra document kinds as {key: Swedish label}; keys are stored on each document."""
    kinds = load_json_object(raw, "PORTAL_DOCUMENT_KINDS")
    if not all(isinstance(k, str) and 0 < len(k) <= 40 and isinstance(v, str) and v.strip()
               for k, v in kinds.items()):
        raise ValueError("PORTAL_DOCUMENT_KINDS must map keys of at most 40 characters to names")
    return {k: v.strip() for k, v in kinds.items()}


def from_environment() -> dict[str, Any]:
    """Build the Flask config mapping from the environment."""
    return {
        "SQLALCHEMY_DATABASE_URI": env("PORTAL_DATABASE_URL"),
        "SECRET_KEY": env("PORTAL_SECRET_KEY"),
        "PORTAL_DEMO": _flag("PORTAL_DEMO"),
        "SESSION_COOKIE_SECURE": _flag("PORTAL_COOKIE_SECURE"),
        "PROXY_FIX": int(env("PORTAL_PROXY_FIX") or 0),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=float(env("PORTAL_SESSION_HOURS"))),
        "SESSION_IDLE_LIFETIME": timedelta(hours=float(env("PORTAL_SESSION_IDLE_HOURS"))),
        "LDAP_URL": env("PORTAL_LDAP_URL"),
        "LDAP_BIND_DN": env("PORTAL_LDAP_BIND_DN"),
        "LDAP_BIND_PASSWORD": env("PORTAL_LDAP_BIND_PASSWORD"),
        "LDAP_BASE_DNS": [b.strip() for b in env("PORTAL_LDAP_BASE_DNS").split(";") if b.strip()],
        "LDAP_USER_FILTER": env("PORTAL_LDAP_USER_FILTER"),
        "LDAP_PROFILE": env("PORTAL_LDAP_PROFILE"),
        "LDAP_START_TLS": _flag("PORTAL_LDAP_START_TLS"),
        "LDAP_CA_FILE": env("PORTAL_LDAP_CA_FILE"),
        "LDAP_TIMEOUT": float(env("PORTAL_LDAP_TIMEOUT")),
        "LDAP_COORDINATOR_GROUP": env("PORTAL_LDAP_COORDINATOR_GROUP"),
        "LDAP_ADMIN_GROUP": env("PORTAL_LDAP_ADMIN_GROUP"),
        "LDAP_ORGANIZATIONS": load_json_object(env("PORTAL_LDAP_ORGANIZATIONS")),
        "LDAP_ATTRIBUTES": load_json_object(env("PORTAL_LDAP_ATTRIBUTES"),
                                            "PORTAL_LDAP_ATTRIBUTES"),
        "LDAP_PAGE_SIZE": int(env("PORTAL_LDAP_PAGE_SIZE")),
        "LDAP_LDIF": env("PORTAL_LDAP_LDIF"),
        "SYNC_MAX_DEACTIVATE_PERCENT": float(env("PORTAL_SYNC_MAX_DEACTIVATE_PERCENT")),
        "KLASSA_LEVEL_LABELS": load_level_labels(env("PORTAL_KLASSA_LEVEL_LABELS")),
        "CLASSIFICATION_REVIEW_MONTHS": int(env("PORTAL_CLASSIFICATION_REVIEW_MONTHS")),
        "DOCUMENT_KINDS": load_document_kinds(env("PORTAL_DOCUMENT_KINDS")),
        "SIGNIN_MAX_FAILURES": int(env("PORTAL_SIGNIN_MAX_FAILURES")),
        "SIGNIN_WINDOW": timedelta(minutes=int(env("PORTAL_SIGNIN_WINDOW_MINUTES"))),
        "SMTP_HOST": env("PORTAL_SMTP_HOST"),
        "SMTP_PORT": int(env("PORTAL_SMTP_PORT")),
        "SMTP_STARTTLS": _flag("PORTAL_SMTP_STARTTLS"),
        "SMTP_USER": env("PORTAL_SMTP_USER"),
        "SMTP_PASSWORD": env("PORTAL_SMTP_PASSWORD"),
        "SMTP_SENDER": env("PORTAL_SMTP_SENDER"),
        "SMTP_TIMEOUT": float(env("PORTAL_SMTP_TIMEOUT")),
        "BASE_URL": env("PORTAL_BASE_URL").rstrip("/"),
    }


# Fixed settings that are not meant to vary between deployments.
FIXED: dict[str, Any] = {
    "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "portal_session",
    # The CSRF token lives in <body hx-headers>, which hx-boost never swaps, so it must
    # not expire before the session does; the session lifetime bounds it instead.
    "WTF_CSRF_TIME_LIMIT": None,
    "BABEL_DEFAULT_LOCALE": "sv",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Stockholm",
    "LANGUAGES": {"sv": "Svenska", "en": "English"},
    # A governing document's body may hold 200,000 characters; URL-encoded Swedish text
    # takes up to 9 bytes a character (å is %C3%A5), so the default 500 kB is too small.
    "MAX_FORM_MEMORY_SIZE": 2_500_000,
    # The whole body: Werkzeug reads a url-encoded body at once whatever
    # MAX_FORM_MEMORY_SIZE says, and the CSRF check reads every POST's form, signed in or
    # not. The two imports raise it for their own request (their files have own limits).
    "MAX_CONTENT_LENGTH": 3_000_000,
}


def check_secret_key(config: dict[str, Any]) -> None:
    """Refuse to run in production with a missing or well-known secret key."""
    if config.get("TESTING") or config.get("PORTAL_DEMO"):
        return
    key = config.get("SECRET_KEY") or ""
    if key in INSECURE_KEYS or len(key) < 16:
        raise RuntimeError(
            "PORTAL_SECRET_KEY must be set to a long random value outside demo/test mode "
            '(e.g. python -c "import secrets; print(secrets.token_hex(32))")'
        )
