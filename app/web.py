"""What every page needs: roles of the signed-in person, role checks, page-or-fragment."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Flask, Request, abort, current_app, g, has_request_context, render_template
from flask_babel import format_date, format_datetime, get_locale
from flask_login import current_user, login_required
from werkzeug.datastructures import ImmutableMultiDict, MultiDict

from app.htmx import wants_fragment
from app.models import Role

if TYPE_CHECKING:
    from app.services.system_access import CoordinatorScope

HTMX_FILE = "htmx-2.0.11.min.js"

F = TypeVar("F", bound=Callable[..., Any])


def current_grants() -> list[tuple[Role, int | None]]:
    """Active grants of the signed-in person as (role, organization id), once per request."""
    # Outside a request (an e-mail rendered by a CLI command) nobody is signed in.
    if not has_request_context() or not current_user.is_authenticated:
        return []
    if "grants" not in g:
        from app.services import people

        g.grants = people.grants_of(current_user)
    return g.grants


def current_roles() -> set[Role]:
    """Roles of the signed-in person, computed once per request."""
    if not has_request_context() or not current_user.is_authenticated:
        return set()
    if "roles" not in g:
        from app.services import people

        g.roles = people.roles_of(current_user, current_grants())
    return g.roles


def coordinator_scope() -> CoordinatorScope:
    """The signed-in coordinator's scope; 403 for anyone who is not a coordinator."""
    from app.services.system_access import scope_from_grants

    scope = scope_from_grants(current_grants())
    if scope is None:
        abort(403)
    return scope


def require_role(*roles: Role) -> Callable[[F], F]:
    """Let a signed-in person through only with one of these roles, else 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_roles() & set(roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def render(page: str, fragment: str | None = None, status: int = 200, **context: Any) -> Any:
    """The whole page, or only its partial when HTMX asks for a fragment."""
    template = fragment if fragment and wants_fragment() else page
    return render_template(template, **context), status


def _template_globals() -> dict[str, Any]:
    return {
        "current_roles": current_roles(),
        "Role": Role,
        "demo_mode": current_app.config["PORTAL_DEMO"],
        "htmx_file": HTMX_FILE,
        "languages": current_app.config["LANGUAGES"],
        "get_locale": get_locale,
    }


def moment(value: datetime | None) -> str:
    """A stored UTC time as Swedish local time: "22 nov 2026 14:03"."""
    if value is None:
        return ""
    # CLDR abbreviates Swedish months with a period ("nov."); the portal writes "nov".
    return format_datetime(value, "d MMM y HH:mm").replace(".", "")


def day(value: date | None) -> str:
    """A date as "22 nov 2026"."""
    return format_date(value, "d MMM y").replace(".", "") if value is not None else ""


def month(number: int) -> str:
    """A month's name: "mars"."""
    return format_date(date(2026, number, 1), "LLLL")


def markdown(text: str) -> Any:
    """Markdown rendered and sanitised (services.markdown_render)."""
    from app.services.markdown_render import render as render_markdown

    return render_markdown(text)


class _Parameters(ImmutableMultiDict):
    """Query-string and form values with each NUL character replaced by U+FFFD, as HTML's
    own parser does. Nobody types a NUL, PostgreSQL can neither store nor compare one (a
    search or a saved field holding one ended in a 500), and SQLite's LIKE stops at it (a
    search for it listed everything). Uploaded files are left as they are."""

    def __init__(self, mapping: Any = None) -> None:
        pairs = MultiDict(mapping).items(multi=True)
        super().__init__([(key.replace("\0", "\ufffd"), value.replace("\0", "\ufffd")
                           if isinstance(value, str) else value) for key, value in pairs])


class PortalRequest(Request):
    """Flask's request with NUL-free parameters (see _Parameters)."""

    parameter_storage_class = _Parameters


def init_app(app: Flask) -> None:
    """Make the globals and filters available to every template; NUL-free parameters."""
    app.request_class = PortalRequest
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters["moment"] = moment
    app.jinja_env.filters["day"] = day
    app.jinja_env.filters["month"] = month
    app.jinja_env.filters["markdown"] = markdown
    app.context_processor(_template_globals)
