"""The ``assist`` console script: headless subcommands go to ``assist.cli`` before any Qt import."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--model-host"]:  # the packaged app's model host (assist/llm_host.py)
        from assist.llm_host import main as host_main

        return host_main()
    from assist.cli.registry import NAMES, suggest

    if args and (args[0] in NAMES or args[0] in ("-h", "--help", "--version")):
        from assist.cli import main as cli_main

        return cli_main(args)
    if args and not args[0].startswith("-"):
        print(f"assist: error: unknown command '{args[0]}'{suggest(args[0])}. Commands: {', '.join(NAMES)}; "
              "no command opens the window (assist --help).", file=sys.stderr)
        return 2
    import os

    if "--smoke" in args and sys.platform.startswith("linux") and "QT_QPA_PLATFORM" not in os.environ \
            and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # a headless box (a packaging check): no screen to open
    from ui.app import main as gui_main

    return gui_main(args)


if __name__ == "__main__":
    sys.exit(main())
