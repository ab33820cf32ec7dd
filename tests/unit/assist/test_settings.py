from pathlib import Path

from assist.settings import Settings, load_settings, save_settings


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    settings, problems = load_settings(tmp_path / "config.toml")
    assert problems == []
    assert settings.current.helpdesk.kind == "demo"


def test_bad_key_is_named_with_suggestion_and_rest_is_kept(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[agent]\nname = "Sam"\n[ui]\nautosave_m = 300\n')
    settings, problems = load_settings(cfg)
    assert settings.agent.name == "Sam"
    assert problems == ["ui.autosave_m: unknown setting (did you mean 'autosave_ms'?)"]


def test_bad_value_is_named_and_defaulted(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[ui]\nautosave_ms = 5\nqueue_limit = 50\n[workspaces.demo.helpdesk]\nkind = "zendex"\n')
    settings, problems = load_settings(cfg)
    assert settings.ui.autosave_ms == 600
    assert settings.ui.queue_limit == 50
    assert settings.current.helpdesk.kind == "demo"
    assert any(p.startswith("ui.autosave_ms:") and "5" in p for p in problems)
    assert any(p.startswith("workspaces.demo.helpdesk.kind:") and "zendex" in p for p in problems)


def test_corrupt_toml_starts_with_defaults(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_bytes(b"[agent\nname = \xff")
    settings, problems = load_settings(cfg)
    assert settings == Settings()
    assert len(problems) == 1 and "not valid TOML" in problems[0]


def test_section_of_wrong_type(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('agent = "Sam"\n')
    settings, problems = load_settings(cfg)
    assert settings.agent.name  # default kept
    assert problems and problems[0].startswith("agent:")


def test_save_then_load_round_trip(tmp_path: Path) -> None:
    cfg = tmp_path / "sub" / "config.toml"
    s = Settings()
    s.agent.name = "Priya"
    s.ui.autosave_ms = 1500
    save_settings(s, cfg)
    loaded, problems = load_settings(cfg)
    assert problems == []
    assert loaded.agent.name == "Priya" and loaded.ui.autosave_ms == 1500
    assert list(cfg.parent.glob(".config-*")) == []


def test_deeply_nested_config_is_one_clear_problem(tmp_path) -> None:
    from assist.settings import load_settings

    path = tmp_path / "config.toml"
    path.write_text("x = " + "[" * 2000 + "]" * 2000 + "\n")
    settings, problems = load_settings(path)
    assert problems and "too deeply" in problems[0]
    assert settings.workspace == "demo"


def test_file_urls_are_refused_and_plain_http_warned() -> None:
    from assist.settings import url_warnings, validate

    _, problems = validate({"workspaces": {"acme": {"helpdesk": {"kind": "zendesk", "url": "file:///etc/passwd"}}}})
    assert any("only http(s) URLs are allowed" in p for p in problems)
    s, problems = validate({"workspaces": {"acme": {"helpdesk": {"kind": "zendesk", "url": "http://acme.zendesk.com"},
                                                    "crm": {"kind": "http_json", "url": "http://127.0.0.1:8080/{email}"}}}})
    assert problems == []
    warnings = url_warnings(s)
    assert len(warnings) == 1 and "travels unencrypted" in warnings[0] and "acme.zendesk.com" in warnings[0]


def test_every_problem_is_named_at_once_and_a_broken_rule_is_left_out_whole() -> None:
    """A routing rule whose condition is wrong must not become a rule with no condition (it would send
    every ticket to its tier): the whole rule is left out and said so; the good rules stay, in order."""
    from assist.settings import validate

    settings, problems = validate({
        "ui": {"autosave_ms": 5},
        "models": {"fast": {"temperature": "hot"}},
        "routing": {"rules": [
            {"risk": ["hi"], "tier": "human", "why": "typo"},
            {"intent": ["refund"], "tier": "frontier", "why": "refunds"},
            {"why": "no tier"},
        ]},
    })
    assert problems == [
        "ui.autosave_ms: expected int >= 100 (got 5)",
        "models.fast.temperature: expected float (got 'hot')",
        "routing.rules[0].risk: each must be one of 'low', 'medium', 'high' (got ['hi'])",
        "routing.rules[0]: this entry is left out",
        "routing.rules[2]: tier must be set; this entry is left out",
    ]
    assert [r.why for r in settings.routing.rules] == ["refunds"]
    assert settings.ui.autosave_ms == 600 and settings.models.fast.temperature == 0.2


def test_the_settings_form_gets_every_problem_and_keeps_nothing_half_checked() -> None:
    import pytest

    from assist.errors import SettingsError
    from assist.settings import WorkspaceSettings, checked

    with pytest.raises(SettingsError) as caught:
        checked(WorkspaceSettings, {"helpdesk": {"kind": "zendex", "url": "javascript:alert(1)"}}, "workspace 'acme'")
    assert caught.value.problems == [
        "helpdesk.kind: must be one of 'demo', 'zendesk', 'freshdesk', 'request_tracker' (got 'zendex')",
        "helpdesk.url: only http(s) URLs are allowed (got javascript:)",
    ]
    ws = checked(WorkspaceSettings, {"helpdesk": {"kind": "zendesk", "url": " https://acme.zendesk.com "}}, "x")
    assert ws.helpdesk.url == "https://acme.zendesk.com"


def test_an_absurd_grounding_threshold_is_named() -> None:
    """Issue 25: ai.min_source_score = 1e308 was accepted (no draft could ever be grounded)."""
    import pytest

    from assist.errors import SettingsError
    from assist.settings import AISettings, checked

    with pytest.raises(SettingsError, match="min_source_score"):
        checked(AISettings, {"min_source_score": 1e308}, "config.toml")


def test_a_save_keeps_hand_edits_made_while_the_app_runs(tmp_path) -> None:
    """Issue 27: hand edits to config.toml made while the app ran were silently overwritten on the next save."""
    from assist.settings import load_settings, save_settings

    path = tmp_path / "config.toml"
    path.write_text("# our team's settings: ask Lee before changing\n[agent]\nname = \"sam\"\n\n"
                    "[ui]\nautosave_ms = 600\n")
    settings, problems = load_settings(path)
    assert problems == []
    # meanwhile, someone edits the file by hand
    path.write_text(path.read_text().replace("autosave_ms = 600", "autosave_ms = 900")
                    + "\n[my_notes]\nwho = \"lee\"  # not Assist's\n")
    settings.agent.display_name = "Sam Ortiz"  # the app changes something else and saves
    save_settings(settings, path)
    text = path.read_text()
    assert "# our team's settings: ask Lee before changing" in text and "[my_notes]" in text
    again, problems = load_settings(path)
    assert again.ui.autosave_ms == 900 and again.agent.display_name == "Sam Ortiz" and again.agent.name == "sam"
    again.ui.autosave_ms = 1200  # and what the app does change, it writes
    save_settings(again, path)
    assert load_settings(path)[0].ui.autosave_ms == 1200 and "who = \"lee\"" in path.read_text()
