import keyring.backends.fail
import pytest

from assist.errors import SecretStoreError
from assist.secrets import SecretStore
from tests.conftest import MemoryKeyring


def test_secure_backend_stores_in_keyring() -> None:
    backend = MemoryKeyring()
    store = SecretStore(backend)
    assert store.status().secure
    store.set("model-api-key", "sk-123")
    assert backend.store[("assist", "model-api-key")] == "sk-123"
    assert store.get("model-api-key") == "sk-123"
    store.delete("model-api-key")
    assert not store.has("model-api-key")


def test_no_secure_backend_refuses_until_user_accepts_session_only() -> None:
    store = SecretStore(keyring.backends.fail.Keyring())
    status = store.status()
    assert not status.secure
    assert "No secure keyring" in status.message
    with pytest.raises(SecretStoreError, match="No secure keyring"):
        store.set("model-api-key", "sk-123")
    store.session_only = True
    store.set("model-api-key", "sk-123")
    assert store.get("model-api-key") == "sk-123"
    # a new store (next launch) has nothing: it was never written anywhere
    assert SecretStore(keyring.backends.fail.Keyring()).get("model-api-key") is None


def test_plaintext_backend_is_not_secure() -> None:
    class PlaintextKeyring(MemoryKeyring):
        pass

    PlaintextKeyring.__module__ = "keyrings.alt.file"
    assert not SecretStore(PlaintextKeyring()).secure
