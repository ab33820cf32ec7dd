import pytest

from assist.cli import main
from assist.cli.doctor import doctor
from assist.paths import Paths
from assist.secrets import SecretStore


def test_doctor_reports_versions_paths_keyring_and_configuration(paths: Paths, secrets: SecretStore, capsys) -> None:
    assert doctor(paths, secrets) == 0
    out = capsys.readouterr().out
    assert "Assist 0." in out
    assert "PySide6-Essentials" in out and "litellm" in out
    assert str(paths.config_file) in out and "defaults in use" in out
    assert "Keyring: " in out and "(secure)" in out
    assert "Helpdesk: demo" in out
    assert "Model API keys: none needed (no model configured)" in out
    assert "Sentence vectors: " in out  # which embedding provider is on (issue 30)


def test_doctor_names_config_problems_and_fails(paths: Paths, secrets: SecretStore, capsys) -> None:
    paths.config_dir.mkdir(parents=True)
    paths.config_file.write_text("[ui]\nautosave_ms = 'fast'\n")
    assert doctor(paths, secrets) == 1
    assert "ui.autosave_ms" in capsys.readouterr().out


def test_main_runs_doctor_from_environment_paths(paths: Paths, capsys) -> None:
    assert main(["doctor"]) == 0
    assert str(paths.data_dir) in capsys.readouterr().out


def test_doctor_fails_on_a_damaged_journal_without_touching_it(paths: Paths, secrets: SecretStore, capsys) -> None:
    paths.journal_file.parent.mkdir(parents=True, exist_ok=True)
    paths.journal_file.write_bytes(b"this is not a database" * 200)
    assert doctor(paths, secrets) == 1
    out = capsys.readouterr().out
    assert "is damaged" in out and "Start Assist to recover it" in out
    assert paths.journal_file.read_bytes().startswith(b"this is not a database")


def test_cli_user_errors_are_one_line_and_non_zero(paths: Paths, capsys, tmp_path) -> None:
    from ui.launcher import main as launcher

    assert launcher(["doctr"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "did you mean 'doctor'" in err

    missing = tmp_path / "no-such-folder" / "r.html"
    assert main(["report", "--week", "2026-W47", "--out", str(missing)]) == 2
    err = capsys.readouterr().err.strip()
    assert "doesn't exist" in err and "Traceback" not in err

    from assist.journal import Journal

    Journal(paths.journal_file, "demo").schema_version()  # an empty journal
    assert main(["journal", "export", "--out", str(missing)]) == 2
    assert "doesn't exist" in capsys.readouterr().err

    out = tmp_path / "empty.html"
    assert main(["report", "--week", "2026-W10", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "0 replies, 0 escalations from 1 journal and the demo's history" in captured.out
    assert "nothing was recorded in 2026-W10" in captured.err and out.exists()


def test_help_lists_commands_and_window_flags(capsys) -> None:
    from ui.launcher import main as launcher

    try:
        launcher(["--help"])
    except SystemExit as exc:
        assert exc.code == 0
    text = capsys.readouterr().out
    for word in ("doctor", "report", "journal", "kb", "actions", "eval", "--smoke", "--screenshot", "--ticket",
                 "no command, assist opens the window"):
        assert word in text, word


def test_eval_workspace_is_evaluated_or_named_unknown(paths: Paths, capsys) -> None:
    """`assist eval --workspace X` used to accept the flag and evaluate the active workspace."""
    from assist.cli import main

    assert main(["eval", "--workspace", "nowhere"]) == 2
    assert "No workspace named 'nowhere'" in capsys.readouterr().err


async def test_a_helpdesk_without_a_token_says_so_and_sends_nothing(secrets, monkeypatch) -> None:
    """First connection with no token: one plain sentence (was "LocalProtocolError: Illegal header value")."""
    import pytest

    from assist.domain import QueueFilter
    from assist.errors import ConnectorAuthError
    from assist.settings import HelpdeskSettings
    from assist.workspace import helpdesk_for

    monkeypatch.delenv("ASSIST_HELPDESK_TOKEN", raising=False)
    for kind in ("request_tracker", "zendesk", "freshdesk"):
        desk = helpdesk_for("acme", HelpdeskSettings(kind=kind, url="https://desk.example.com", email="a@b.c"),
                            secrets)
        with pytest.raises(ConnectorAuthError, match="No API token is set for workspace 'acme'.*Helpdesk token"):
            await desk.list_queue(QueueFilter())
        await desk.aclose()
    monkeypatch.setenv("ASSIST_HELPDESK_TOKEN", "from-env")
    desk = helpdesk_for("acme", HelpdeskSettings(kind="request_tracker", url="https://desk.example.com"), secrets)
    assert desk.missing_credentials == ""  # type: ignore[attr-defined]
    await desk.aclose()


def test_a_secret_missing_from_the_keyring_is_asked_for_at_a_terminal_and_never_stored(monkeypatch) -> None:
    """Issue 24: on headless Linux (no keyring) the lead's report and `assist learn --from-helpdesk` could never
    get their password or token; at a terminal they are asked for once, kept for that command only."""
    import keyring.backends.fail

    from assist.cli.common import ask_for_missing

    secrets = SecretStore(keyring.backends.fail.Keyring())
    asked: list[str] = []
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda prompt: asked.append(prompt) or "pw-from-prompt")
    monkeypatch.delenv("ASSIST_TEAM_PASSWORD", raising=False)
    ask_for_missing(secrets, [("acme:team-password", "ASSIST_TEAM_PASSWORD", "Team store password")])
    assert secrets.get("acme:team-password") == "pw-from-prompt" and "ASSIST_TEAM_PASSWORD" in asked[0]
    monkeypatch.setenv("ASSIST_HELPDESK_TOKEN", "tok-from-env")  # the environment wins, no prompt
    ask_for_missing(secrets, [("acme:helpdesk-token", "ASSIST_HELPDESK_TOKEN", "API token")])
    assert secrets.get("acme:helpdesk-token") == "tok-from-env" and len(asked) == 1
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)  # scripted: nothing asked, the command says what to set
    ask_for_missing(secrets, [("acme:crm-token", "ASSIST_CRM_TOKEN", "CRM token")])
    assert secrets.get("acme:crm-token") is None and len(asked) == 1


def test_every_command_is_declared_once_and_reachable_by_name() -> None:
    """The launcher decides window or command by the registry's names; each name parses to its own module."""
    from assist.cli import build_parser
    from assist.cli.registry import COMMANDS, NAMES

    assert len(set(NAMES)) == len(NAMES) == len(COMMANDS)
    parser = build_parser()
    choices = next(a for a in parser._actions if a.dest == "command").choices  # type: ignore[attr-defined]
    assert choices is not None and list(choices) == list(NAMES)


@pytest.mark.parametrize("argv", [["report", "--out", "x.html", "--bogus"], ["kb"], ["kb", "--workspace"],
                                  ["report", "--out", "x.html", "--workspace", "team", "--journal", "a.db"]])
def test_unknown_flags_missing_actions_and_conflicting_options_are_errors(
        argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    from assist.cli import main

    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own exit: usage and one line
        code = int(exc.code or 0)
    assert code == 2
    assert "error:" in capsys.readouterr().err
