"""One deployment's agents, built from its platform config: the adapters, the knowledge
base, the state in `STATE/agents.db`, the runner. `mynah serve --platform-config` hosts X
(its webhook is a route of the server); `mynah agents run` hosts Bluesky and Mastodon."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from mynah.social.agents import DEFAULT_OPT_OUT, AgentConfig, Agents, Brain
from mynah.social.config import PlatformConfig
from mynah.social.runner import Runner
from mynah.social.state import AgentState

STATE_FILE = "agents.db"


def adapter(cfg: PlatformConfig, platform: str):
    s = cfg.sections[platform]
    if platform == "x":
        from mynah.social.platforms.x import X

        return X(
            s["account_id"],
            s["consumer_key"],
            s["consumer_secret"],
            s["access_token"],
            s["access_token_secret"],
            api_base=s.get("api_base", "https://api.x.com"),
        )
    if platform == "bluesky":
        from mynah.social.platforms.bluesky import Bluesky

        return Bluesky(s["handle"], s["app_password"], s.get("service_url", "https://bsky.social"))
    if platform == "mastodon":
        from mynah.social.platforms.mastodon import Mastodon

        return Mastodon(s["api_base"], s["access_token"])
    raise ValueError(f"unknown platform {platform!r}")


def agent_config(cfg: PlatformConfig) -> AgentConfig:
    a = cfg.sections.get("agent", {})
    return AgentConfig(
        handoff_after_turns=a.get("handoff_after_turns", 3),
        opt_out_words=tuple(a.get("opt_out_words", DEFAULT_OPT_OUT)),
        replies_per_minute=a.get("replies_per_minute", 6),
        business=a.get("business"),
    )


@dataclass
class AgentHost:
    cfg: PlatformConfig
    state: AgentState
    runner: Runner
    adapters: dict
    # the threads that write a webhook's events to the inbox (serve/webhooks.py)
    inbox_pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(4, thread_name_prefix="mynah-inbox")
    )

    @property
    def operator_key(self) -> str | None:
        return self.cfg.get("agent", "operator_key")

    def stop(self) -> None:
        self.runner.stop()
        self.inbox_pool.shutdown(wait=True)


def build(
    cfg: PlatformConfig,
    state_dir: str | Path,
    server_url: str,
    api_key: str | None,
    platforms: tuple[str, ...],
    embedder=None,
    workers: int | None = None,
    poll_interval: float = 5.0,
) -> AgentHost:
    """The host for `platforms` (those of them the config has). Not started."""
    adapters = {p: adapter(cfg, p) for p in platforms if cfg.has(p)}
    kb = None
    if cfg.get("agent", "kb"):
        from mynah.social.kb import KnowledgeBase

        kb = KnowledgeBase.open(cfg.get("agent", "kb"))
    state = AgentState(Path(state_dir) / STATE_FILE)
    agents = Agents(state, Brain(server_url, api_key), agent_config(cfg), kb, embedder)
    n = workers or cfg.get("agent", "workers", 8)
    runner = Runner(state, adapters, agents, workers=n, poll_interval=poll_interval)
    return AgentHost(cfg, state, runner, adapters)
