"""Helpers that act like a person in a browser: read the CSRF token, post forms."""

from __future__ import annotations

import html as html_lib
import re
from datetime import UTC, date, datetime

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.clock import PORTAL_TIMEZONE
from app.models import Person


def csrf_token(client: FlaskClient, path: str = "/logga-in") -> str:
    """The CSRF token from a page's form, as a browser would submit it."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post_form(client: FlaskClient, path: str, data: dict, token_from: str = "/logga-in",
              **kwargs) -> TestResponse:
    """POST a form with a valid CSRF token."""
    return client.post(path, data={"csrf_token": csrf_token(client, token_from), **data},
                       **kwargs)


def sign_in_as(client: FlaskClient, person_id: int) -> TestResponse:
    """Sign in through the demo sign-in form."""
    response = post_form(client, "/demo/logga-in", {"person_id": person_id})
    assert response.status_code in (303, 302, 204), response.get_data(as_text=True)
    return response


def text_of(response: TestResponse) -> str:
    """The visible text of a page, tags removed and whitespace collapsed."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


MONTHS = ["jan", "feb", "mars", "apr", "maj", "juni", "juli", "aug", "sep", "okt", "nov", "dec"]


def day_text(value: date) -> str:
    """A date as the portal shows it: "23 nov 2026"."""
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def moment_text(value: datetime) -> str:
    """A stored naive-UTC time as the portal shows it in Swedish time: "23 nov 2026 14:03"."""
    local = value.replace(tzinfo=UTC).astimezone(PORTAL_TIMEZONE)
    return f"{day_text(local.date())} {local:%H:%M}"


def browser(app: Flask, person: Person) -> FlaskClient:
    """A browser signed in as the person."""
    client = app.test_client()
    sign_in_as(client, person.id)
    return client


def post(client: FlaskClient, path: str, data: dict, **kwargs) -> TestResponse:
    """POST a form with the CSRF token a signed-in page carries."""
    return post_form(client, path, data, token_from="/", **kwargs)


def html_of(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def visible(html: str) -> str:
    """The text of an HTML fragment: tags removed, entities decoded, whitespace collapsed."""
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())
