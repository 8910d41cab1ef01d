"""The errors learnloop raises on purpose, as one tree.

    LearnloopError
    ├── InvalidInput        the input breaks a rule; carries every Problem found   (HTTP 400)
    ├── NotAuthenticated    no valid session or token                              (HTTP 401)
    ├── Forbidden           signed in, but the access rules say no                 (HTTP 403)
    ├── NotFound            no such thing                                           (HTTP 404)
    ├── Conflict            the request clashes with what is stored                (HTTP 409)
    ├── PreconditionFailed  an If-Match / If-None-Match condition does not hold    (HTTP 412)
    └── TooLarge            the request is bigger than the limit                   (HTTP 413)

The web layer maps each class to its status in one place (`learnloop.web.errors`); the CLI maps
them to exit codes (`learnloop.cli.output`). Services raise them; nothing else builds an error
response by hand.
"""

from __future__ import annotations

from learnloop.domain.problems import Problem


class LearnloopError(Exception):
    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(LearnloopError):
    code = "invalid_input"

    def __init__(self, problems: list[Problem], message: str | None = None) -> None:
        errors = [p for p in problems if p.is_error]
        super().__init__(message or f"{len(errors)} problem(s) in the input")
        self.problems = problems


class NotAuthenticated(LearnloopError):
    code = "not_authenticated"


class Forbidden(LearnloopError):
    code = "forbidden"


class NotFound(LearnloopError):
    code = "not_found"


class Conflict(LearnloopError):
    code = "conflict"


class PreconditionFailed(LearnloopError):
    code = "precondition_failed"


class TooLarge(LearnloopError):
    code = "too_large"
