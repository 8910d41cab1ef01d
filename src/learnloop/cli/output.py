"""Console output and exit codes that scripts can rely on.

Exit codes: 0 success; 1 the input has problems (nothing was changed); 2 usage error (click);
3 settings or database problem; 4 something named does not exist; 5 not allowed; 6 a pre-flight
check failed (the campaign is blocked until it is fixed or the failure is overridden).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from learnloop.domain.errors import Forbidden, InvalidInput, LearnloopError, NotFound
from learnloop.domain.problems import Problem

(EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_ENVIRONMENT, EXIT_NOT_FOUND, EXIT_FORBIDDEN,
 EXIT_BLOCKED) = range(7)

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)


def show_problems(problems: list[Problem], limit: int = 500) -> None:
    for problem in problems[:limit]:
        colour = "red" if problem.is_error else "yellow"
        field = f" [bold]{escape(problem.field)}[/bold]:" if problem.field else ""
        errors.print(f"[{colour}]{problem.severity.value}[/{colour}] "
                     f"{escape(problem.location())}:{field} {escape(problem.message)}",
                     markup=True, soft_wrap=True)
    if len(problems) > limit:
        errors.print(f"... and {len(problems) - limit} more")


def fail(message: str, code: int) -> NoReturn:
    errors.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)
    sys.exit(code)


@contextmanager
def handled() -> Iterator[None]:
    """Turn learnloop errors into a message and an exit code."""
    try:
        yield
    except InvalidInput as exc:
        show_problems(exc.problems)
        count = len([p for p in exc.problems if p.is_error])
        fail(f"{exc.message} ({count} error{'s' if count != 1 else ''})", EXIT_INVALID)
    except NotFound as exc:
        fail(exc.message, EXIT_NOT_FOUND)
    except Forbidden as exc:
        fail(exc.message, EXIT_FORBIDDEN)
    except LearnloopError as exc:
        fail(exc.message, EXIT_INVALID)
    except ImportError as exc:
        fail(f"a driver is missing ({exc.name or exc}); for PostgreSQL install "
             "learnloop[postgres]", EXIT_ENVIRONMENT)
    except OperationalError as exc:
        fail(f"cannot use the database: {exc.orig}", EXIT_ENVIRONMENT)
    except SQLAlchemyError as exc:
        # The driver's own message, without the SQL statement and its parameters.
        detail = getattr(exc, "orig", None) or type(exc).__name__
        fail(f"database error: {detail}", EXIT_ENVIRONMENT)


def progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=errors, transient=False, disable=not errors.is_terminal,
    )

