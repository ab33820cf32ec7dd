"""Secrets (API tokens and keys) through the OS keyring only, never a plain file.

On a machine with no secure backend (headless Linux has only keyring's ``fail`` backend, and
keyrings.alt would silently write plaintext) the store refuses to save until the user explicitly
accepts the fallback: keep the secret in memory for this session only.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from msgspec import Struct

from assist.errors import SecretStoreError

if TYPE_CHECKING:
    import keyring.backend

SERVICE = "assist"
_INSECURE_MODULES = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")


class KeyringStatus(Struct, frozen=True):
    backend: str
    secure: bool
    message: str


def _is_secure(backend: keyring.backend.KeyringBackend) -> bool:
    children = getattr(backend, "backends", None)
    if children is not None:  # ChainerBackend
        return any(_is_secure(child) for child in children)
    module = type(backend).__module__
    if module.startswith(_INSECURE_MODULES):
        return False
    try:
        return float(backend.priority) >= 1
    except Exception:
        return False


class SecretStore:
    def __init__(self, backend: keyring.backend.KeyringBackend | None = None) -> None:
        self._chosen = backend
        self._lock = threading.Lock()
        self._memory: dict[str, str] = {}
        self.session_only = False  # set once the user accepted the in-memory fallback

    @property
    def _backend(self) -> keyring.backend.KeyringBackend:
        """The OS keyring, found on first use: keyring probes every backend it knows (~90 ms), which
        start-up does not wait for (the session resolves it on a worker thread after the first draft)."""
        with self._lock:
            if self._chosen is None:
                import keyring

                self._chosen = keyring.get_keyring()
            return self._chosen

    def ready(self) -> None:
        """Find the keyring now (call it off the UI thread)."""
        self._backend  # noqa: B018

    def status(self) -> KeyringStatus:
        name = f"{type(self._backend).__module__}.{type(self._backend).__name__}"
        if _is_secure(self._backend):
            return KeyringStatus(name, True, f"Secrets are stored in the system keyring ({name}).")
        return KeyringStatus(
            name,
            False,
            "No secure keyring was found on this machine (for example, no Secret Service running). "
            "Secrets cannot be saved. You can keep them in memory for this session only; "
            "they will be asked for again next time.",
        )

    @property
    def secure(self) -> bool:
        return _is_secure(self._backend)

    def provide(self, name: str, value: str) -> None:
        """A secret the app itself makes for this run (the demo backend's token): memory only."""
        self._memory[name] = value

    def with_overrides(self, values: dict[str, str]) -> SecretStore:
        """A copy that answers ``values`` first (testing a typed token before saving it)."""
        probe = SecretStore(self._backend)
        probe._memory = {**self._memory, **{k: v for k, v in values.items() if v}}
        probe.session_only = self.session_only
        return probe

    def get(self, name: str) -> str | None:
        if name in self._memory:
            return self._memory[name]
        if not self.secure:
            return None
        import keyring.errors

        try:
            return self._backend.get_password(SERVICE, name)
        except keyring.errors.KeyringError as exc:
            raise SecretStoreError(f"Couldn't read '{name}' from the keyring: {exc}") from exc

    def set(self, name: str, value: str) -> None:
        if not self.secure:
            if not self.session_only:
                raise SecretStoreError(self.status().message)
            self._memory[name] = value
            return
        import keyring.errors

        try:
            self._backend.set_password(SERVICE, name, value)
        except keyring.errors.KeyringError as exc:
            raise SecretStoreError(f"Couldn't save '{name}' to the keyring: {exc}") from exc

    def delete(self, name: str) -> None:
        self._memory.pop(name, None)
        if self.secure:
            import keyring.errors

            try:
                self._backend.delete_password(SERVICE, name)
            except keyring.errors.PasswordDeleteError:
                pass

    def remember(self, name: str, value: str) -> None:
        """Keep a secret in memory for this process only (a command-line prompt's answer): never stored."""
        self._memory[name] = value

    def has(self, name: str) -> bool:
        return bool(self.get(name))
