"""Every route that takes POST refuses a request without a valid CSRF token — as a plain
form post and as an HTMX request, with no token and with another session's token — with
the Swedish message, and changes nothing: not a row in any table, not the sign-in.

Each route is posted to by someone the authorization matrix lets in (its first such
column), so the refusal is the token's and not a missing right; the same post with the
session's own token then gets what the matrix says.
"""

from __future__ import annotations

import pytest

from tests.helpers import text_of
from tests.route_world import (
    build_world,
    changed_tables,
    database_state,
    first_column,
    methods_of,
    route_key,
    routes,
)
from tests.test_authorization_matrix import EXPECTED

REFUSED = "Formuläret saknade en giltig säkerhetstoken"
POST_ROUTES = sorted(key for key, method in EXPECTED if method == "POST")
# What an authorised persona may get from the matrix's minimal post.
LET_IN = {200, 204, 303, 400, 422}


def test_every_route_that_takes_post_is_tested_here(app):
    taking_post = {route_key(app, rule) for rule in routes(app) if "POST" in methods_of(rule)}
    assert taking_post == set(POST_ROUTES)


@pytest.mark.parametrize("key", POST_ROUTES)
def test_a_post_without_a_valid_token_is_refused_and_changes_nothing(app, key):
    rule = next(r for r in routes(app) if route_key(app, r) == key)
    allowed = EXPECTED[(key, "POST")]
    column = first_column(allowed, LET_IN)
    world = build_world(app)
    client, token = world.client(column.persona)
    # Another browser's session: an anonymous visitor's, or for one, an employee's.
    _other, foreign = world.client("employee" if column.persona is None else None)
    assert foreign != token
    url, body = world.url(rule, column.side), world.body(rule, column.side)
    before = database_state()
    attempts = {
        "no token": ({}, {}),
        "no token, htmx": ({}, {"HX-Request": "true"}),
        "another session's token": ({"csrf_token": foreign}, {}),
        "another session's token, htmx header": ({}, {"HX-Request": "true",
                                                       "X-CSRFToken": foreign}),
    }
    for attempt, (token_field, headers) in attempts.items():
        response = client.post(url, data={**body, **token_field}, headers=headers,
                               buffered=True)
        assert response.status_code == 400, (attempt, response.status_code)
        assert REFUSED in text_of(response), attempt
        if "HX-Request" in headers:
            # htmx swaps in a short message, not a whole page inside the page.
            assert "<html" not in response.get_data(as_text=True), attempt
        assert changed_tables(before, database_state()) == [], attempt
    if column.persona is not None:
        assert client.get("/", buffered=True).status_code == 200, "no longer signed in"

    with world.isolated(client):
        response = client.post(url, data={**body, "csrf_token": token}, buffered=True)
    assert response.status_code == allowed[column.code], (column.code, response.status_code)
