class DomainError(Exception):
    """A rule refused an action. `message` is for the user: translated, plain, and says what
    to do next. Views turn it into a form error or a message; nothing was changed."""

    def __init__(self, message, *, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field
