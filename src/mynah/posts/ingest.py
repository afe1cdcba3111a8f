"""Getting posts into the store: files in any format the corpus readers read, batches over
HTTP, and a followed file that keeps growing.

Every path is idempotent by post key: a post seen again changes nothing, an edit (a
Jetstream update, or the same id with new text) replaces it, a Jetstream delete removes it.
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from mynah.corpus.readers import Malformed, Post, _from_obj, _line, read_file
from mynah.posts.store import PostStore, StoredPost, post_key


def to_op(rec: Post) -> tuple[str, object]:
    key = post_key(rec.platform, rec.id)
    if rec.op == "delete":
        return ("delete", key)
    if not rec.text.strip():
        raise ValueError("post has no text")
    return (
        "upsert",
        StoredPost(
            key=key,
            id=rec.id,
            platform=rec.platform,
            text=rec.text,
            author=rec.author,
            created_at=rec.created_at,
            lang=rec.lang,
            url=rec.url,
            conversation_id=rec.conversation_id,
            reply_to=rec.reply_to,
        ),
    )


def ops_from_objects(objs: list) -> tuple[list[tuple[str, object]], list[dict]]:
    """The store operations for a batch of JSON objects (any platform's shape), and the
    rejected ones as {"index", "reason"}: one bad object never stops the rest."""
    ops, rejected = [], []
    for i, obj in enumerate(objs):
        for rec in _from_obj(obj, f"posts[{i}]"):
            if isinstance(rec, Malformed):
                rejected.append({"index": i, "reason": rec.reason})
                continue
            try:
                ops.append(to_op(rec))
            except ValueError as e:
                rejected.append({"index": i, "reason": str(e)})
    return ops, rejected


def _batches(recs: Iterable[Post | Malformed], counts: Counter, rejects: list, size: int) -> Iterator[list]:
    ops: list = []
    for rec in recs:
        if isinstance(rec, Malformed):
            # A compressed file cut short: its whole lines were read, and it counts once.
            counts["truncated" if rec.kind == "truncated" else "malformed"] += 1
            rejects.append({"source": rec.source, "reason": rec.reason, "kind": rec.kind})
            continue
        try:
            ops.append(to_op(rec))
        except ValueError as e:
            counts["malformed"] += 1
            rejects.append({"source": rec.source, "reason": str(e), "kind": "line"})
            continue
        if len(ops) == size:
            yield ops
            ops = []
    if ops:
        yield ops


def ingest_files(store: PostStore, files: list[Path], batch: int = 1000, progress: bool = True) -> dict:
    """Read every file and apply its posts; returns counts and the malformed records."""
    from tqdm import tqdm

    counts: Counter = Counter()
    rejects: list[dict] = []
    bar = tqdm(desc="ingesting", unit="post", disable=not progress)
    for path in files:
        for ops in _batches(read_file(path), counts, rejects, batch):
            r = store.apply(ops)
            counts.update(r)
            bar.update(len(ops))
    bar.close()
    return {
        **{k: counts[k] for k in ("created", "updated", "deleted", "unchanged", "malformed", "truncated")},
        "rejects": rejects,
    }


def follow(
    store: PostStore,
    path: str | os.PathLike,
    batch: int = 500,
    poll_s: float = 0.5,
    idle_exit_s: float | None = None,
    on_batch=None,
    log=sys.stderr,
) -> dict:
    """Tail a growing JSON Lines file (posts of any format, or Jetstream events).

    The byte offset of the last whole line applied is saved in the same transaction as the
    posts it covers, so a killed follower restarts exactly where it stopped: nothing lost,
    nothing twice. A partly written last line waits until its newline arrives. A file that
    was replaced or truncated (another inode, or shorter than the cursor) is read again
    from the start, which the key makes harmless."""
    path = Path(path).resolve()
    if path.name.endswith((".gz", ".zst")):  # its bytes are not lines: they would all be "malformed"
        raise ValueError(f"{path}: a compressed file cannot be followed; store it with `mynah posts ingest`")
    if path.is_dir():
        raise ValueError(f"{path}: is a folder; follow names one growing JSON Lines file")
    name = f"follow:{path}"
    counts: Counter = Counter()
    cur = store.cursor(name) or {}
    offset, line_no = int(cur.get("offset", 0)), int(cur.get("line", 0))
    if cur:
        print(f"resuming {path} at line {line_no + 1} (byte {offset})", file=log)
    idle_since = time.monotonic()
    waiting = False
    while True:
        try:
            st = os.stat(path)
        except FileNotFoundError:
            st = None
            if not waiting:  # a follower may start before its file exists; say so once
                print(f"waiting for {path} to appear", file=log)
            waiting = True
        if st is not None and (cur.get("inode") not in (None, st.st_ino) or st.st_size < offset):
            print(f"{path} was replaced or truncated; reading it from the start", file=log)
            offset, line_no = 0, 0
        cur = {"inode": st.st_ino if st else None}
        grew = False
        if st is not None and st.st_size > offset:
            with open(path, "rb") as f:
                f.seek(offset)
                while True:
                    ops, n_lines, consumed = [], 0, 0
                    for raw in f:
                        if not raw.endswith(b"\n"):
                            break  # a line still being written
                        consumed += len(raw)
                        n_lines += 1
                        for rec in _line(path, line_no + n_lines, raw.decode("utf-8", errors="replace")):
                            if isinstance(rec, Malformed):
                                counts["malformed"] += 1
                                print(f"{rec.source}: {rec.reason}", file=log)
                                continue
                            try:
                                ops.append(to_op(rec))
                            except ValueError as e:
                                counts["malformed"] += 1
                                print(f"{rec.source}: {e}", file=log)
                        if n_lines == batch:
                            break
                    if not n_lines:
                        break
                    offset += consumed
                    line_no += n_lines
                    counts.update(
                        store.apply(
                            ops, cursor=(name, {"offset": offset, "line": line_no, "inode": st.st_ino})
                        )
                    )
                    grew = True
                    if on_batch is not None:
                        on_batch()
                    f.seek(offset)
        if grew:
            idle_since = time.monotonic()
        elif idle_exit_s is not None and time.monotonic() - idle_since >= idle_exit_s:
            return dict(counts)
        else:
            time.sleep(poll_s)
