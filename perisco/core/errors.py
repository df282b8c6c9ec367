from django.core.exceptions import BadRequest


class DomainError(Exception):
    """A rule refused an action. `message` is for the user: translated, plain, and says what
    to do next. Views turn it into a form error or a message; nothing was changed."""

    def __init__(self, message, *, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class InvalidRequest(BadRequest):
    """A request no page can answer (a month out of range, a sign-in started on another
    site): a 400 page that shows `message`, which says why in plain words and what to do."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message
