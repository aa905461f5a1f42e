"""The domain's operations and queries. Nothing here knows about HTTP requests."""


class DomainError(Exception):
    """A rule of the domain refused an operation; `message` is shown to the user."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """The thing asked for does not exist (404)."""


class Forbidden(DomainError):
    """The thing exists but the person may not see or change it (403)."""
