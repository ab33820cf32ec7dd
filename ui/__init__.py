"""Qt views over the ``assist`` core. Thin: views call ``assist.session`` and render its dataclasses.

Importing this package loads no Qt, so ``assist <subcommand>`` stays fast; ``ui.app`` does.
"""
