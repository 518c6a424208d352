"""How the `b2b` command prints: rich tables in a terminal, wide plain tables in a pipe, JSON.

>>> print_table("messages", ["id", "state"], [["7", "sent"]])
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

#: columns when the output is not a terminal (a pipe, a file, a test): wide, so that lines are
#: not folded in the middle of a value a script greps for
PIPE_WIDTH = 240


def console(*, err: bool = False) -> Console:
    """A console on stdout (or stderr): the terminal's width, or PIPE_WIDTH when piped."""
    stream = sys.stderr if err else sys.stdout
    width = None if stream.isatty() else PIPE_WIDTH
    return Console(file=stream, width=width, soft_wrap=False, highlight=False)


def print_table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """One rich table."""
    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    console().print(table)


def print_json(data: Any) -> None:
    """`data` as indented JSON on stdout (datetimes as ISO 8601)."""
    sys.stdout.write(json.dumps(data, indent=2, default=_default) + "\n")


def _default(value: Any) -> str:
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)
