"""Load: 64 concurrent clients against `mynah serve` for 60 s, with random disconnects and
random invalid requests, then schemathesis against the server's own OpenAPI schema.

Each client loops: a valid request (chat or completion, streamed or not, n 1 or 2), or an
invalid one (bad parameter, unknown model, missing key, oversized body, bad JSON), or a
stream it abandons after a few chunks. Expected: no 5xx, every request answered (a
status and a complete body or stream), the queue and batch back to 0 at the end, and the
server's memory flat (RSS after a warm-up vs at the end).

    python benchmarks/serve_load.py --clients 64 --seconds 60
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from serve_helpers import LiveServer  # noqa: E402
from serve_throughput import make_checkpoint  # noqa: E402

KEY = "sk-load-test"


def rss_mib(pid: int) -> float:
    return (
        int(subprocess.run(["ps", "-o", "rss=", "-p", str(pid)], capture_output=True, text=True).stdout)
        / 1024
    )


def client_loop(url: str, model: str, until: float, seed: int, tally: Counter, lock: threading.Lock) -> None:
    r = random.Random(seed)
    auth = {"Authorization": f"Bearer {KEY}"}
    msgs = [{"role": "user", "content": f"what is new about topic {seed}?"}]
    with httpx.Client(timeout=120) as http:
        while time.time() < until:
            kind = r.choices(["ok", "stream", "abandon", "invalid"], [4, 4, 1, 2])[0]
            chat = r.random() < 0.7
            path = "/v1/chat/completions" if chat else "/v1/completions"
            body = {"model": model, "max_tokens": r.randint(1, 48), "temperature": r.choice([0, 0.8])}
            body.update({"messages": msgs} if chat else {"prompt": "The new album"})
            if r.random() < 0.2:
                body["n"] = 2
            headers = dict(auth)
            outcome = None
            try:
                if kind == "invalid":
                    bad = r.choice(["param", "model", "key", "big", "json", "value"])
                    if bad == "param":
                        body["logit_bias"] = {"1": 5}
                    elif bad == "model":
                        body["model"] = "nope"
                    elif bad == "key":
                        headers = {"Authorization": "Bearer wrong"}
                    elif bad == "value":
                        body["temperature"] = 9
                    if bad == "big":
                        resp = http.post(
                            url + path,
                            content=b"{" + b" " * (2 << 20) + b"}",
                            headers={**headers, "Content-Type": "application/json"},
                        )
                    elif bad == "json":
                        resp = http.post(
                            url + path,
                            content=b"{nope",
                            headers={**headers, "Content-Type": "application/json"},
                        )
                    else:
                        resp = http.post(url + path, json=body, headers=headers)
                    resp.json()["error"]["message"]  # an answer in OpenAI's shape
                    outcome = resp.status_code
                elif kind == "ok":
                    resp = http.post(url + path, json=body, headers=headers)
                    if resp.status_code == 200:
                        assert len(resp.json()["choices"]) == body.get("n", 1)
                    outcome = resp.status_code
                else:
                    body["stream"] = True
                    with http.stream("POST", url + path, json=body, headers=headers) as resp:
                        outcome = resp.status_code
                        if resp.status_code == 200:
                            lines = resp.iter_lines()
                            got = 0
                            for line in lines:
                                if line == "data: [DONE]":
                                    break
                                if line.startswith("data: "):
                                    json.loads(line[6:])
                                    got += 1
                                    if kind == "abandon" and got >= 2:
                                        outcome = "abandoned"
                                        break
                            else:
                                outcome = "stream ended without [DONE]"
                        else:
                            resp.read()
            except Exception as e:  # an unanswered request is a failure of the server
                outcome = f"no answer: {type(e).__name__}"
            with lock:
                tally[outcome] += 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipe", default="tiny")
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--schemathesis-examples", type=int, default=30)
    ap.add_argument(
        "--posts", type=int, default=500, help="sample posts in the server's post store (0: none)"
    )
    a = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        ckpt = make_checkpoint(a.recipe, d / a.recipe)
        extra: list[str] = []
        if a.posts:  # grounding on, and /v1/posts + /v1/posts/search in the fuzzed schema
            from mynah.posts.ingest import ingest_files
            from mynah.posts.store import SQLiteStore
            from mynah.sample import write_network

            write_network(d / "sample", n_posts=a.posts, seed=2)
            store = SQLiteStore(d / "posts.db")
            ingest_files(store, [d / "sample" / "exports" / "x_v2.jsonl"], progress=False)
            store.close()
            extra = ["--posts", str(d / "posts.db")]
        server = LiveServer(ckpt, "--max-batch", "16", "--max-queue", "64", *extra, key=KEY, tmp=d)
        try:
            tally: Counter = Counter()
            lock = threading.Lock()
            warm = time.time() + 5  # warm-up: allocator and caches reach their working size
            threads = [
                threading.Thread(
                    target=client_loop, args=(server.url, a.recipe, warm, 1000 + i, Counter(), lock)
                )
                for i in range(8)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            before = rss_mib(server.proc.pid)
            until = time.time() + a.seconds
            threads = [
                threading.Thread(target=client_loop, args=(server.url, a.recipe, until, i, tally, lock))
                for i in range(a.clients)
            ]
            t0 = time.time()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.time() - t0
            time.sleep(1)
            after = rss_mib(server.proc.pid)
            queue, batch = server.metric("mynah_queue_depth"), server.metric("mynah_batch_size")
            total = sum(tally.values())
            five = sum(n for k, n in tally.items() if isinstance(k, int) and k >= 500)
            unanswered = sum(n for k, n in tally.items() if isinstance(k, str) and k != "abandoned")
            print(
                f"{a.clients} clients for {wall:.0f} s: {total} requests, outcomes {dict(sorted(tally.items(), key=str))}"
            )
            print(f"5xx: {five}; unanswered: {unanswered}; queue at the end {queue:.0f}, batch {batch:.0f}")
            print(
                f"server RSS: {before:.0f} MiB after warm-up, {after:.0f} MiB after the load ({after - before:+.0f} MiB)"
            )
            st = subprocess.run(
                [
                    str(Path(sys.executable).with_name("schemathesis")),
                    "run",
                    f"{server.url}/openapi.json",
                    "--checks",
                    "not_a_server_error",
                    "-n",
                    str(a.schemathesis_examples),
                    "-H",
                    f"Authorization: Bearer {KEY}",
                    "--seed",
                    "1",
                    "--request-timeout",
                    "120",
                ],
                capture_output=True,
                text=True,
            )
            tail = [line for line in st.stdout.splitlines() if line.strip()][-12:]
            print(
                "schemathesis (not_a_server_error):",
                "passed" if st.returncode == 0 else f"FAILED (exit {st.returncode})",
            )
            print("\n".join(tail))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
