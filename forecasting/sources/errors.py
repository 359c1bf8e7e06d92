"""The one error type raised for bad input files, so every message names file, row and field."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from forecasting.errors import InvestError


def plain(value: object) -> object:
    """A numpy scalar as the Python value it holds, so messages read ``got -500.0``, not
    ``got np.float64(-500.0)``."""
    return value.item() if isinstance(value, np.generic) else value


class IngestError(InvestError):
    """A source file could not be turned into observations.

    ``line`` is the 1-based line number in the file (header = line 1) where known.
    """

    def __init__(
        self,
        file: str | Path,
        problem: str,
        *,
        line: int | None = None,
        column: str | None = None,
        expected: str | None = None,
        got: object = None,
    ) -> None:
        self.file = str(file)
        self.line = line
        self.column = column
        self.expected = expected
        self.got = got
        self.problem = problem
        parts = [self.file]
        if line is not None:
            parts.append(f"line {line}")
        if column is not None:
            parts.append(f"column {column!r}")
        msg = ", ".join(parts) + f": {problem}"
        if expected is not None:
            msg += f"; expected {expected}"
        if got is not None:
            msg += f", got {plain(got)!r}"
        super().__init__(msg)
