"""The regression suite: the demo cases pass offline, a saved baseline catches a regression."""

from __future__ import annotations

import json

from assist.cli import main
from assist.evaluation import load_suite
from assist.paths import resources_dir

SUITE = resources_dir() / "demo" / "eval.jsonl"


def test_demo_suite_has_50_plus_cases_with_expectations() -> None:
    cases = load_suite(SUITE)
    assert len(cases) >= 50
    assert sum(c.expect.get("human", False) for c in cases) >= 10
    assert sum(bool(c.expect.get("action")) for c in cases) >= 25
    assert all("intent" in c.expect for c in cases)


def test_eval_cli_baseline_then_regression(paths, capsys) -> None:
    assert main(["eval", "--save-baseline"]) == 0
    out = capsys.readouterr().out
    assert "53 cases" in out and "offline |" in out and "Baseline saved" in out
    last = json.loads((paths.data_dir / "eval" / "last.json").read_text())
    assert last["models"]["offline"]["rates"]["cited"] == 1.0

    assert main(["eval"]) == 0
    assert "No regression against the baseline." in capsys.readouterr().out

    paths.config_dir.mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text('[routing]\ndefault_tier = "human"\nrules = []\n')  # a bad routing change
    assert main(["eval"]) == 1
    out = capsys.readouterr().out
    assert "REGRESSION against the baseline" in out and "route fell from 100%" in out


def test_yaml_suite_and_bad_case(tmp_path, capsys) -> None:
    suite = tmp_path / "s.yaml"
    suite.write_text("- id: y1\n  subject: reset\n  customer_email: gracekim.design@gmail.com\n"
                     "  messages: [{role: customer, body: password reset email never arrives}]\n"
                     "  expect: {intent: login, human: false, cite_any: ['kb:password-reset.md'],"
                     " action: send_password_reset}\n")
    assert main(["eval", str(suite)]) == 0
    assert "1 cases" in capsys.readouterr().out
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}\n')
    assert main(["eval", str(bad)]) == 2


def test_a_teams_own_suite_runs_before_its_helpdesk_answers(paths, tmp_path, capsys, caplog, monkeypatch) -> None:
    """A new team evaluates drafting on its own knowledge base and cases (each carries its ticket) while its
    Request Tracker is not reachable yet: the cases are judged, the customer lookup's failure said once."""
    from assist.settings import HelpdeskSettings, Settings, WorkspaceSettings, save_settings

    settings = Settings()
    settings.workspaces["store"] = WorkspaceSettings(helpdesk=HelpdeskSettings(kind="request_tracker",
                                                                               url="http://127.0.0.1:9"))
    settings.ai.embeddings = "off"
    save_settings(settings, paths.config_file)
    monkeypatch.setenv("ASSIST_HELPDESK_TOKEN", "x")
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "returns.md").write_text("# Returns\n\n## Return window\nUnworn items can be returned within 30 days of "
                                   "delivery for a full refund.\n")
    assert main(["kb", "ingest", "--workspace", "store", str(kb)]) == 0
    suite = tmp_path / "suite.jsonl"
    suite.write_text("\n".join(json.dumps({
        "id": f"c{i}", "subject": "return", "customer_email": f"c{i}@example.org",
        "messages": [{"role": "customer", "body": "Can I still return unworn shoes I got two weeks ago?"}],
        "expect": {"human": False, "facts": ["30 days"], "forbid": []}}) for i in range(3)))
    assert main(["eval", "--workspace", "store", str(suite)]) == 0
    out = capsys.readouterr().out
    assert "3 cases" in out and "offline | 3 |" in out
    assert caplog.text.count("Customer records not read") == 1
