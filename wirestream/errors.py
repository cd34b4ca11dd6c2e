"""Errors that mean "the person's input or environment is wrong": one line, exit 1."""


class UsageError(RuntimeError):
    """Bad input from the person running the command; nothing has been started or written."""
