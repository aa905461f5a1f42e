"""Helpers that act like a person in a browser: read the CSRF token, post forms."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from werkzeug.test import TestResponse


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
