"""Deciding between a whole page and an HTMX fragment, and HTMX response headers."""

from __future__ import annotations

from flask import Response, request


def wants_fragment() -> bool:
    """True for an HTMX request that swaps part of a page (not a boosted navigation)."""
    return request.headers.get("HX-Request") == "true" and "HX-Boosted" not in request.headers


def redirect(location: str) -> Response:
    """A redirect that also works for HTMX requests (which follow HX-Redirect)."""
    if request.headers.get("HX-Request") == "true":
        response = Response(status=204)
        response.headers["HX-Redirect"] = location
        return response
    response = Response(status=303)
    response.headers["Location"] = location
    return response


def vary(response: Response) -> Response:
    """Caches must keep the page and the fragment of one URL apart."""
    response.vary.add("HX-Request")
    return response
