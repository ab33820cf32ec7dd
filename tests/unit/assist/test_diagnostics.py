from assist.diagnostics import diagnostics, mask_config
from assist.paths import Paths


def test_secrets_are_masked_in_diagnostics(paths: Paths, secrets) -> None:
    paths.config_dir.mkdir(parents=True)
    paths.config_file.write_text('[agent]\nname = "Sam"\n[workspaces.acme.helpdesk]\napi_token = "abc123"\n'
                                 'url = "https://acme.zendesk.com"\n')
    paths.log_dir.mkdir(parents=True)
    (paths.log_dir / "assist.log").write_text(
        "2026-11-25 10:00:00 INFO assist: started\n2026-11-25 10:01:00 ERROR ui.tasks: Task open failed\n")
    text = diagnostics(paths, secrets)
    assert "abc123" not in text and 'api_token = "***"' in text
    assert 'name = "Sam"' in text and "https://acme.zendesk.com" in text
    assert "ERROR ui.tasks: Task open failed" in text and "INFO assist: started" not in text
    assert text.startswith("Assist 0.")


def test_mask_config_keeps_ordinary_lines() -> None:
    masked = mask_config('model = "gpt-4o-mini"\nOPENAI_API_KEY = "sk-1"')
    assert masked == 'model = "gpt-4o-mini"\nOPENAI_API_KEY = "***"'


def test_secrets_are_masked_anywhere() -> None:
    from assist.diagnostics import mask_secrets

    text = "\n".join([
        'url = "https://crm.internal/customers/{email}?api_key=abc123SECRET&x=1"',
        "GET https://user:hunter2@rt.example.com/REST/2.0/ticket/1 failed",
        "headers: Authorization: Bearer sk-live-0123456789abcdef",
        "Cookie: session=SECRETCOOKIE; other=1",
        'hubspot = "pat-na1-not-named-like-a-key"',
        "token in text sk-proj-ABCDEFGH12345678 and a jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefgh",
        "https://acme.zendesk.com/api/v2/tickets.json?page=2&access_token=zzzTOKENzzz",
    ])
    masked = mask_secrets(text)
    for secret in ("abc123SECRET", "hunter2", "sk-live-0123456789abcdef", "SECRETCOOKIE", "sk-proj-ABCDEFGH12345678",
                   "eyJhbGciOiJIUzI1NiJ9", "zzzTOKENzzz"):
        assert secret not in masked, secret
    assert "x=1" in masked and "page=2" in masked and "rt.example.com/REST/2.0/ticket/1" in masked
