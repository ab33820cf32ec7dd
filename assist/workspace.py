"""Workspaces: which helpdesk, CRM and files a session is built on (the embedded demo or the
connectors a workspace's settings describe), and "Test connection" for Settings."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from assist import embeddings
from assist import taxonomy as taxonomies
from assist.crm.base import CRM
from assist.crm.cache import CachedCRM
from assist.crm.demo import DemoCRM
from assist.db import SqliteWorker
from assist.demo import labelled_tickets, seed
from assist.errors import AssistError
from assist.feedback import FeedbackStore
from assist.helpdesk.base import Helpdesk
from assist.helpdesk.demo import DemoHelpdesk
from assist.journal import Journal
from assist.knowledge.base import KnowledgeBase
from assist.learning.model import MODEL_FILE, IntentRouter
from assist.paths import Paths, resources_dir
from assist.secrets import SecretStore
from assist.session import Session
from assist.settings import CRMSettings, HelpdeskSettings, Settings, WorkspaceSettings, load_settings

if TYPE_CHECKING:
    from assist.team.sync import TeamSync

log = logging.getLogger(__name__)


def settings_for(paths: Paths, workspace: str | None) -> Settings:
    """The config with ``workspace`` active (``--workspace``); an unknown name is an error naming the others."""
    settings, _ = load_settings(paths.config_file)
    if workspace:
        if workspace not in settings.workspaces:
            raise AssistError(f"No workspace named {workspace!r} (workspaces: {', '.join(settings.workspaces)}).")
        settings.active_workspace = workspace
    return settings


def open_demo_workspace(paths: Paths) -> tuple[DemoHelpdesk, DemoCRM, SqliteWorker]:
    seed_dir = resources_dir() / "demo"
    worker = SqliteWorker(
        paths.workspace_dir("demo") / "demo.db", init=lambda conn: seed(conn, seed_dir)
    )
    return DemoHelpdesk(worker), DemoCRM(worker), worker


def helpdesk_for(ws_name: str, cfg: HelpdeskSettings, secrets: SecretStore) -> Helpdesk:
    """The connector a workspace's settings describe (not the demo, which needs its data file). With no
    token in the keyring, ``ASSIST_HELPDESK_TOKEN`` (for the command line on a machine without a keyring);
    with neither, the connector sends nothing and every call says what to set."""
    import os

    from assist.net.connector import HttpConnector

    token = secrets.get(f"{ws_name}:helpdesk-token") or os.environ.get("ASSIST_HELPDESK_TOKEN", "")
    helpdesk = _helpdesk(cfg, token)
    if not token.strip() and isinstance(helpdesk, HttpConnector):
        helpdesk.missing_credentials = (
            f"No API token is set for workspace {ws_name!r}'s {helpdesk.service}: add it in Settings > Workspace > "
            "Helpdesk token (on the command line without a keyring: set ASSIST_HELPDESK_TOKEN).")
    return helpdesk


def _helpdesk(cfg: HelpdeskSettings, token: str) -> Helpdesk:
    if cfg.kind == "zendesk":
        from assist.helpdesk.zendesk import ZendeskHelpdesk  # connectors load with the workspace using them

        return ZendeskHelpdesk(cfg.url, cfg.email, token, view_id=cfg.queue, timeout=cfg.timeout_s)
    if cfg.kind == "freshdesk":
        from assist.helpdesk.freshdesk import FreshdeskHelpdesk

        return FreshdeskHelpdesk(cfg.url, token, queue=cfg.queue, timeout=cfg.timeout_s)
    if cfg.kind == "request_tracker":
        from assist.helpdesk.request_tracker import RequestTrackerHelpdesk

        return RequestTrackerHelpdesk(cfg.url, token, queue_sql=cfg.queue, timeout=cfg.timeout_s)
    raise AssistError(f"Unknown helpdesk kind {cfg.kind!r}.")


def crm_for(ws_name: str, cfg: CRMSettings, secrets: SecretStore, helpdesk: Helpdesk) -> CRM:
    token = secrets.get(f"{ws_name}:crm-token")
    if cfg.kind == "hubspot":
        from assist.crm.hubspot import HubSpotCRM

        return HubSpotCRM(cfg, token or "")
    if cfg.kind == "http_json":
        from assist.crm.http_json import HttpJsonCRM

        return HttpJsonCRM(cfg, token)
    from assist.crm.helpdesk_crm import HelpdeskCRM

    return HelpdeskCRM(helpdesk)


async def test_connection(ws_name: str, ws: WorkspaceSettings, secrets: SecretStore, part: str) -> str:
    """Settings' "Test connection": what works, or exactly what failed. Raises AssistError on failure."""
    if ws.helpdesk.kind == "demo" and part == "helpdesk":
        return "The demo helpdesk is built in: nothing to connect to."
    connector: Helpdesk | CRM
    if part == "helpdesk":
        connector = helpdesk_for(ws_name, ws.helpdesk, secrets)
    else:
        if ws.crm.kind in ("demo", "helpdesk"):
            return "This CRM uses data Assist already has: nothing to connect to."
        connector = crm_for(ws_name, ws.crm, secrets, None)  # type: ignore[arg-type]
    try:
        if hasattr(connector, "test_connection"):
            return str(await connector.test_connection())
        if part != "helpdesk":
            await connector.get_customer("connection-test@example.invalid")  # type: ignore[union-attr]
        return f"Connected to {connector.name}."
    finally:
        await connector.aclose()


def taxonomy_path(paths: Paths, name: str) -> Path:
    """Where a workspace's taxonomy is saved (its config folder, beside actions.toml)."""
    return paths.config_dir / "workspaces" / name / "taxonomy.toml"


def load_taxonomy(paths: Paths, name: str, ws: WorkspaceSettings) -> taxonomies.Taxonomy:
    """The workspace's taxonomy; the demo's ships in resources/demo until it is edited."""
    path = taxonomy_path(paths, name)
    if not path.exists() and ws.helpdesk.kind == "demo":
        path = resources_dir() / "demo" / "taxonomy.toml"
    return taxonomies.load(path)


def sentence_encoder(paths: Paths, settings: Settings, secrets: SecretStore | None) -> embeddings.CachedEncoder | None:
    """The active workspace's sentence encoder as ``[ai] embeddings`` chooses it (nothing loads yet)."""
    def key() -> str | None:
        from assist import model_keys

        return model_keys.api_key(secrets, settings.models.embedding, settings.models)

    return embeddings.for_workspace(settings.ai.embeddings, paths.workspace_dir(settings.workspace),
                                    settings.models.embedding, key, settings.ai.redact_pii)


def intent_router(paths: Paths, name: str, ws: WorkspaceSettings,
                  encoder: embeddings.CachedEncoder | None = None) -> IntentRouter:
    """The workspace's taxonomy and the model it learned (``assist learn``); a broken taxonomy file
    routes everything to "other" and says why in the log (``assist doctor`` names the problem)."""
    data = paths.workspace_dir(name)
    demo = ws.helpdesk.kind == "demo"
    try:
        taxonomy = load_taxonomy(paths, name, ws)
    except AssistError as exc:
        log.error("%s", exc)
        taxonomy = taxonomies.Taxonomy()

    def extra() -> list[tuple[str, str]]:
        from assist.learning.history import HISTORY_FILE, labelled, load_cache

        own = labelled(load_cache(data / HISTORY_FILE))
        return own + (labelled_tickets(resources_dir() / "demo") if demo else [])

    return IntentRouter(taxonomy, data / MODEL_FILE, extra, precision=ws.routing.precision,
                        embed=encoder.encode if encoder is not None else None)


def team_sync(name: str, ws: WorkspaceSettings, journal: Journal, secrets: SecretStore) -> TeamSync | None:
    """The workspace's team store, when its settings name one (password from the keyring)."""
    if not ws.team.url:
        return None
    from assist.team.store import TeamStore
    from assist.team.sync import TeamSync

    return TeamSync(journal, TeamStore(ws.team.url, secrets.get(f"{name}:team-password")))


async def embed_knowledge(session: Session, progress: Callable[[int, int], None] = lambda _d, _t: None) -> int:
    """Sentence vectors for the knowledge base's passages that lack one (``KnowledgeBase.embed_passages``: in
    the background, a small batch at a time, stored as they come); 0 when sentence vectors are off."""
    encoder = session.encoder
    if encoder is None:
        return 0
    await session.knowledge_ready()
    try:
        return await session.kb.embed_passages(encoder.passages, encoder.id, progress, encoder.encode)
    except (AssistError, asyncio.CancelledError):
        raise
    except Exception as exc:  # noqa: BLE001 - vectors are a plus: a failing encoder leaves search on words
        log.warning("Passage vectors stopped (%s): knowledge search stays on words", type(exc).__name__)
        return 0


def isolated_session(live: Session, settings: Settings) -> Session:
    """A throwaway session (the Settings regression run) that shares nothing it could break with the
    live one: its own copy of the secrets (the demo backend it starts gets its own token) and its own
    connectors, files opened separately. Close it when done."""
    return build_session(live.paths, settings, live.secrets.with_overrides({}))


def build_session(paths: Paths, settings: Settings, secrets: SecretStore) -> Session:
    """Create the session for the active workspace: the embedded demo or configured connectors."""
    name, ws = settings.workspace, settings.current
    journal = Journal(paths.journal_file, workspace=name)
    team = team_sync(name, ws, journal, secrets)
    feedback = FeedbackStore(journal)
    kb = KnowledgeBase(paths.workspace_dir(name) / "kb.db")
    seed_dir = resources_dir() / "demo"
    encoder = sentence_encoder(paths, settings, secrets)
    intents = intent_router(paths, name, ws, encoder)
    if ws.helpdesk.kind == "demo":
        helpdesk, demo_crm, demo_db = open_demo_workspace(paths)
        crm: CRM = demo_crm if ws.crm.kind == "demo" else crm_for(name, ws.crm, secrets, helpdesk)
        return Session(
            settings, paths, helpdesk, CachedCRM(crm, ws.crm.cache_ttl_s), journal, secrets, name, kb, intents,
            demo_kb=seed_dir / "kb", catalog_path=seed_dir / "actions.toml", demo_db=demo_db, feedback=feedback,
            team=team, encoder=encoder,
        )
    real = helpdesk_for(name, ws.helpdesk, secrets)
    catalog = Path(ws.actions.catalog).expanduser() if ws.actions.catalog else \
        paths.config_dir / "workspaces" / name / "actions.toml"
    return Session(settings, paths, real, CachedCRM(crm_for(name, ws.crm, secrets, real), ws.crm.cache_ttl_s),
                   journal, secrets, name, kb, intents, feedback=feedback, team=team, encoder=encoder,
                   catalog_path=catalog if catalog.exists() else None)
