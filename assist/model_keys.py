"""One API key per model provider, each sent only to its own provider.

A key is kept in the keyring under the provider it belongs to: ``model-api-key:openai`` for a tier whose
model is ``openai/gpt-4o-mini`` (or a bare ``gpt-4o-mini``), ``model-api-key:anthropic`` for a Claude model,
and, for a tier that talks to its own server (``api_base``: Ollama, vLLM, a team's LiteLLM proxy),
``model-api-key:<host:port>`` of that server. OpenAI for the fast tier and Anthropic for the frontier tier
each get their own key, and a local server gets none unless one was set for it.

Earlier versions kept one key (``model-api-key``) for every tier and sent it to every ``api_base``. That key
moves, once, to the provider of the first tier that uses a provider's own endpoint; it is never sent to a
local or proxy server.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from assist.errors import AssistError

if TYPE_CHECKING:
    from assist.secrets import SecretStore
    from assist.settings import ModelsSettings, ModelTier

log = logging.getLogger(__name__)

LEGACY = "model-api-key"
PREFIX = "model-api-key:"
# litellm's provider for a bare model name (no "provider/" prefix), by the names' well-known stems
_BARE = (("gpt-", "openai"), ("o1", "openai"), ("o3", "openai"), ("o4", "openai"), ("chatgpt", "openai"),
         ("text-embedding", "openai"), ("dall-e", "openai"), ("claude", "anthropic"), ("gemini", "gemini"),
         ("command", "cohere"), ("mistral", "mistral"))


def provider(model: str, api_base: str = "") -> str:
    """Whose key a tier needs: its own server's host:port, else the model's litellm provider."""
    if api_base.strip():
        parts = urlsplit(api_base.strip())
        host = (parts.hostname or api_base.strip()).lower()
        return f"{host}:{parts.port}" if parts.port else host
    name = model.strip().lower()
    if "/" in name:
        return name.split("/", 1)[0]
    return next((p for stem, p in _BARE if name.startswith(stem)), name or "none")


def key_name(tier: ModelTier) -> str:
    return PREFIX + provider(tier.model, tier.api_base)


_checked: set[int] = set()  # secret stores already migrated in this process (a keyring read per draft otherwise)


def _migrate(secrets: SecretStore, models: ModelsSettings) -> None:
    """The single key of earlier versions goes to the first tier that calls a provider's own endpoint."""
    if id(secrets) in _checked:
        return
    _checked.add(id(secrets))
    try:
        legacy = secrets.get(LEGACY)
        if not legacy:
            return
        target = next((t for t in (models.fast, models.frontier, models.embedding) if t.model and not t.api_base),
                      None)
        if target is not None and not secrets.get(key_name(target)):
            secrets.set(key_name(target), legacy)
            log.info("The model API key now belongs to %s only", provider(target.model))
        secrets.delete(LEGACY)
    except Exception as exc:  # noqa: BLE001 - a locked keyring: the legacy key stays, asked again next start
        _checked.discard(id(secrets))
        log.warning("Couldn't move the model API key to its provider: %s", exc)


def api_key(secrets: SecretStore | None, tier: ModelTier, models: ModelsSettings | None = None) -> str | None:
    """The key for this tier's provider, or None (a local server without one, or none set)."""
    if secrets is None or not tier.model:
        return None
    if models is not None:
        _migrate(secrets, models)
    try:
        return secrets.get(key_name(tier)) or None
    except AssistError as exc:
        log.warning("Model API key unreadable: %s", exc)
        return None
