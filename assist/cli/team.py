"""``assist team``: set up the team store (admin) and sync a desk with it.

    assist team init --admin-url postgresql://admin@db/assist
    assist team add-user sam --role agent|senior|lead --admin-url ... [--password-stdin]
    assist team sync [--workspace W]      push what waits, pull reviews, print the status
"""

from __future__ import annotations

import argparse
import asyncio
import secrets as pysecrets
import sys

from assist.errors import AssistError
from assist.paths import Paths


def arguments(parser: argparse.ArgumentParser) -> None:
    cmds = parser.add_subparsers(dest="team_command", metavar="ACTION", required=True)
    init = cmds.add_parser("init", help="create the schema, roles and row-level security (run once, as an admin)")
    init.add_argument("--admin-url", required=True, help="a PostgreSQL URL of a user who may create roles")
    add = cmds.add_parser("add-user", help="create (or update) a person's login with one role")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=("agent", "senior", "lead"))
    add.add_argument("--admin-url", required=True)
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin "
                                                                   "(default: generate one and print it)")
    sync = cmds.add_parser("sync", help="push this desk's waiting rows and pull reviews")
    sync.add_argument("--workspace", help="workspace name (default: the active one)")


def run(paths: Paths, args: argparse.Namespace) -> int:
    return asyncio.run(_run(paths, args))


async def _run(paths: Paths, args: argparse.Namespace) -> int:
    from assist.team.store import TeamStore

    if args.team_command == "init":
        await TeamStore(args.admin_url).init()
        print("Team store ready: schema 'assist', roles assist_agent, assist_senior, assist_lead, row-level "
              "security on every table. Add people with: assist team add-user NAME --role agent|senior|lead")
        return 0
    if args.team_command == "add-user":
        password = sys.stdin.readline().strip() if args.password_stdin else pysecrets.token_urlsafe(18)
        if len(password) < 8:
            raise AssistError("A password needs at least 8 characters.")
        await TeamStore(args.admin_url).add_user(args.name, args.role, password)
        print(f"{args.name} can log in as {args.role}.")
        if not args.password_stdin:
            print(f"Password (give it to {args.name} once; Assist keeps it in their keyring): {password}")
        return 0
    if args.team_command == "sync":
        from assist.secrets import SecretStore
        from assist.workspace import build_session, settings_for

        settings = settings_for(paths, args.workspace)
        if not settings.current.team.url:
            raise AssistError(f"Workspace {settings.workspace!r} has no team store ([workspaces.{settings.workspace}"
                              ".team] url in the config).")
        from assist.cli.common import ask_for_missing

        secrets = SecretStore()
        ask_for_missing(secrets, [(f"{settings.workspace}:team-password", "ASSIST_TEAM_PASSWORD",
                                   f"Team store password for {settings.current.team.url}")])
        session = build_session(paths, settings, secrets)
        try:
            print(await session.sync_team())
            return 1 if session.team and session.team.status.error else 0
        finally:
            await session.aclose()
    return 2
