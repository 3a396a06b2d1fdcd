"""What a user did wrong, or what stops a command, as exceptions that carry their exit code.

Each job raises a subclass of ``UserError`` with a one-line message; ``flows.cli`` turns every one of them into
that line on stderr and the exit code, in one place. Anything else is a bug and keeps its traceback.

Exit codes: 1 a run that did not succeed (the summary says why), 2 refused (bad usage, bad input, missing key
or file), 3 another run holds the work directory.
"""

from __future__ import annotations


class UserError(Exception):
    """Refused with a one-line message; nothing was changed."""

    exit_code = 2


class Locked(UserError):
    """Another process holds the work directory."""

    exit_code = 3
