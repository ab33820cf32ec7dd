"""Headless commands (``assist doctor``, ``kb``, ``actions``, ``report``, ``journal``, ``eval``, ``learn``, ``route``,
``team``): one package, one registry (``registry.COMMANDS``) where each is declared once, one module each, the
parser and dispatch in ``app``. This face imports nothing: ``ui.launcher`` reads the registry's names at every
start of the window."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

__all__ = ["build_parser", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    from assist.cli.app import main as run

    return run(argv)


def build_parser() -> argparse.ArgumentParser:
    from assist.cli.app import build_parser as build

    return build()
