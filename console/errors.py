"""Errors a user can act on: the CLI prints them as one line and exits non-zero, never a traceback."""


class UserError(Exception):
    """Something the user can fix: a bad file, an unreachable server, an unwritable path.

    The message names what was wrong (the file, the URL, the value) in one line.
    """

    exit_code = 2
