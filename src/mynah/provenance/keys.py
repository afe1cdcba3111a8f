"""The deployment's state folder and its watermark key.

A deployment keeps what is its own in `--state-dir` (default: `mynah-state/` beside the
post store, or in the working directory): the watermark key now; later the guardrails'
audit log and the agents' outbox and cursors. It is never inside a model folder, because
model folders get shared, and a key in one would let anyone who has the model forge or
scrub the deployment's watermark.

The key comes from, in order: `--watermark-key-file F`, the environment variable
MYNAH_WATERMARK_KEY, or `STATE/watermark.key`, created once (mode 0600) when none exists.
A key named but unreadable is an error, never a reason to run without the watermark.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

ENV = "MYNAH_WATERMARK_KEY"
KEY_FILE = "watermark.key"
MIN_KEY_BYTES = 16


class KeyError_(ValueError):
    """A key that cannot be used: the message names the file or variable."""


def default_state_dir(posts: str | os.PathLike | None = None) -> Path:
    """`mynah-state/` beside a SQLite post store, else in the working directory."""
    if posts is not None and "://" not in str(posts):
        return Path(posts).resolve().parent / "mynah-state"
    return Path.cwd() / "mynah-state"


def state_dir(path: str | os.PathLike | None, posts=None, model: str | os.PathLike | None = None) -> Path:
    d = Path(path).resolve() if path else default_state_dir(posts)
    if model is not None:
        m = Path(model).resolve()
        if d == m or m in d.parents:
            raise KeyError_(
                f"--state-dir {d} is inside the model folder {m}: model folders get shared, "
                "and the state folder holds the deployment's secrets; choose another folder"
            )
    return d


def _parse(raw: bytes, where: str) -> bytes:
    key = raw.strip()
    if len(key) < MIN_KEY_BYTES:
        raise KeyError_(
            f"{where}: a watermark key must be at least {MIN_KEY_BYTES} bytes (got {len(key)}); "
            f"make one with: python -c 'import secrets; print(secrets.token_hex(32))' > FILE"
        )
    return key


def read_key_file(path: str | os.PathLike) -> bytes:
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise KeyError_(f"{p}: no such watermark key file") from None
    except IsADirectoryError:
        raise KeyError_(f"{p}: is a folder, not a watermark key file") from None
    except PermissionError:
        raise KeyError_(f"{p}: the watermark key file is not readable by this user") from None
    return _parse(raw, str(p))


def find_key(key_file: str | os.PathLike | None, state: Path | None) -> tuple[bytes, str] | None:
    """(key, where it came from) from the file, the environment or the state folder, in
    that order; None when there is none (a named file that fails is an error)."""
    if key_file:
        return read_key_file(key_file), str(key_file)
    env = os.environ.get(ENV)
    if env is not None:
        return _parse(env.encode("utf-8"), f"${ENV}"), f"${ENV}"
    if state is not None and (state / KEY_FILE).exists():
        return read_key_file(state / KEY_FILE), str(state / KEY_FILE)
    return None


def load_or_create(key_file: str | os.PathLike | None, state: Path) -> tuple[bytes, str, bool]:
    """(key, where it came from, whether it was created now)."""
    found = find_key(key_file, state)
    if found is not None:
        return (*found, False)
    f = state / KEY_FILE
    try:
        state.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise KeyError_(
            f"{state}: cannot create the state folder for the watermark key ({e.strerror})"
        ) from None
    # Written whole to a private temp file, then linked into place: a crash leaves no
    # half key, and two servers starting at once end up with the same one.
    tmp = state / f".{KEY_FILE}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32) + "\n")
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(tmp, f)
            created = True
        except FileExistsError:
            created = False
    finally:
        tmp.unlink(missing_ok=True)
    return read_key_file(f), str(f), created
