"""The project's base error.

Why one base: the CLI and the API must tell a problem the user can fix (a bad file, an unknown series, an
unreachable server) from a bug. Everything raised on purpose for such a problem derives from
``InvestError``; the CLI prints those as one line (exit 2) and lets anything else surface as a traceback
(exit 1), so real bugs are never disguised as user errors.
"""

from __future__ import annotations


class InvestError(Exception):
    """A problem the user can act on; the message says what and where (file, row, field, parameter)."""


class NotFound(InvestError, KeyError):
    """A name the user gave (series, measure, area, scenario, version ...) is not known; says what is."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class InvalidParameter(InvestError, ValueError):
    """A parameter (CLI option, API field, argument) is outside what is accepted; says what is."""
