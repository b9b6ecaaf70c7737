"""The one place where errors become exit codes: user errors exit 2, bugs keep their traceback."""

from __future__ import annotations

import pytest

from kg.cli import _App
from kg.errors import StoreError, UserInputError


def make_app(error: Exception) -> _App:
    """A two-command app whose `fail` command raises `error`."""
    app = _App(add_completion=False, pretty_exceptions_enable=False)

    @app.command()
    def fail() -> None:
        raise error

    @app.command()
    def other() -> None:
        """Present so that `fail` is a subcommand, as in the real CLI."""

    return app


def test_user_errors_exit_2_with_one_paragraph(capsys: pytest.CaptureFixture[str]) -> None:
    error = UserInputError("first line\n\n  second   line")
    error.add_note("A note added on the way up")
    with pytest.raises(SystemExit) as exited:
        make_app(error)(["fail"])
    assert exited.value.code == 2
    assert capsys.readouterr().err == (
        "kg: error: first line second line. A note added on the way up.\n"
    )


def test_other_deliberate_errors_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        make_app(StoreError("the store is locked"))(["fail"])
    assert exited.value.code == 1
    assert capsys.readouterr().err == "kg: error: the store is locked.\n"


def test_bugs_are_not_swallowed() -> None:
    with pytest.raises(ZeroDivisionError):
        make_app(ZeroDivisionError("a bug"))(["fail"])
