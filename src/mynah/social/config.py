"""The platform config file (`--platform-config platform.toml`).

Credentials are never inline: each is `<name>_file` (a path, relative to the config file)
or `<name>_env` (an environment variable's name). A missing or unreadable one stops
start-up with the key that names it; values are never printed.

```toml
[x]
account_id = "1000"
consumer_key_file = "secrets/x-consumer-key"
consumer_secret_file = "secrets/x-consumer-secret"    # also the CRC and signature secret
access_token_file = "secrets/x-access-token"
access_token_secret_file = "secrets/x-access-token-secret"
api_base = "https://api.x.com"

[bluesky]
handle = "mynah.bsky.social"
app_password_file = "secrets/bluesky-app-password"
service_url = "https://bsky.social"

[mastodon]
api_base = "https://mastodon.social"
access_token_file = "secrets/mastodon-token"

[agent]
kb = "kb.db"                      # mynah kb ingest --db kb.db ...
business = "NovaBank"             # the knowledge base's document to answer from
operator_key_file = "secrets/operator-key"
handoff_after_turns = 3
opt_out_words = ["stop", "unsubscribe", "stopp", "baja"]
replies_per_minute = 6
```
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SECRETS = {
    "x": ("consumer_key", "consumer_secret", "access_token", "access_token_secret"),
    "bluesky": ("app_password",),
    "mastodon": ("access_token",),
    "agent": ("operator_key",),
}
PLAIN = {
    "x": {"account_id", "api_base"},
    "bluesky": {"handle", "service_url", "chat_proxy"},
    "mastodon": {"api_base"},
    "agent": {"kb", "business", "handoff_after_turns", "opt_out_words", "replies_per_minute", "workers"},
}
REQUIRED = {
    "x": ("account_id", "consumer_key", "consumer_secret", "access_token", "access_token_secret"),
    "bluesky": ("handle", "app_password"),
    "mastodon": ("api_base", "access_token"),
    "agent": (),
}


class ConfigError(ValueError):
    pass


@dataclass
class PlatformConfig:
    path: Path
    sections: dict[str, dict] = field(default_factory=dict)  # secrets resolved to their values

    def has(self, platform: str) -> bool:
        return platform in self.sections

    def get(self, section: str, key: str, default=None):
        return self.sections.get(section, {}).get(key, default)

    def __repr__(self) -> str:  # never the secrets
        return f"PlatformConfig({self.path}, sections={sorted(self.sections)})"


def _secret(cfg_path: Path, section: str, name: str, raw: dict) -> str | None:
    f, env = raw.get(f"{name}_file"), raw.get(f"{name}_env")
    if f is not None and env is not None:
        raise ConfigError(f"{cfg_path}: [{section}] give {name}_file or {name}_env, not both")
    if f is not None:
        p = Path(f) if Path(f).is_absolute() else cfg_path.parent / f
        try:
            value = p.read_text(encoding="utf-8").strip()
        except OSError as e:
            raise ConfigError(
                f"{cfg_path}: [{section}] {name}_file: cannot read {p} ({e.strerror or e})"
            ) from None
        if not value:
            raise ConfigError(f"{cfg_path}: [{section}] {name}_file: {p} is empty")
        return value
    if env is not None:
        value = os.environ.get(str(env), "").strip()
        if not value:
            raise ConfigError(
                f"{cfg_path}: [{section}] {name}_env: the environment variable {env} is not set"
            )
        return value
    if name in raw:
        raise ConfigError(
            f"{cfg_path}: [{section}] {name}: credentials are not written inline; use {name}_file or {name}_env"
        )
    return None


def load(path: str | os.PathLike) -> PlatformConfig:
    p = Path(path)
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"{p}: cannot read the platform config ({e.strerror or e})") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{p}: not valid TOML: {e}") from None
    out = PlatformConfig(p)
    for section, body in raw.items():
        if section not in PLAIN:
            raise ConfigError(
                f"{p}: unknown section [{section}]; one of {', '.join('[' + s + ']' for s in PLAIN)}"
            )
        if not isinstance(body, dict):
            raise ConfigError(f"{p}: {section} must be a [{section}] table")
        allowed = (
            PLAIN[section]
            | {f"{s}_{k}" for s in SECRETS[section] for k in ("file", "env")}
            | set(SECRETS[section])
        )
        for key in body:
            if key not in allowed:
                raise ConfigError(f"{p}: [{section}] unknown key {key!r}")
        values = {k: v for k, v in body.items() if k in PLAIN[section]}
        for name in SECRETS[section]:
            v = _secret(p, section, name, body)
            if v is not None:
                values[name] = v
        for name in REQUIRED[section]:
            if name not in values:
                key = f"{name}_file" if name in SECRETS[section] else name
                raise ConfigError(f"{p}: [{section}] {key} is missing")
        if section == "agent":
            kb = values.get("kb")
            if kb is not None and not str(kb).startswith(("postgresql://", "postgres://")):
                kbp = Path(kb) if Path(kb).is_absolute() else p.parent / kb
                if not kbp.exists():
                    raise ConfigError(
                        f"{p}: [agent] kb: {kbp} does not exist (mynah kb ingest --db {kbp} FILES...)"
                    )
                values["kb"] = str(kbp)
            n = values.get("handoff_after_turns", 3)
            if not isinstance(n, int) or n < 1:
                raise ConfigError(f"{p}: [agent] handoff_after_turns must be a whole number ≥ 1, not {n!r}")
            words = values.get("opt_out_words")
            if words is not None and (
                not isinstance(words, list) or not all(isinstance(w, str) for w in words)
            ):
                raise ConfigError(f"{p}: [agent] opt_out_words must be a list of strings")
        out.sections[section] = values
    return out
