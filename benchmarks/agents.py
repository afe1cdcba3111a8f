"""The agents (issue 16): X's webhook under a burst, with and without a kill -9.

A real `mynah serve --platform-config` of the demo model (policy and watermark on) answers
a fake X on 127.0.0.1 that signs its deliveries as X does. The burst: --events Account
Activity deliveries (DMs to a business from as many customers, and mentions under other
people's posts), of which 10% are a delivery repeated (same event id) and 5% carry a bad
signature, sent at --rate a second (default 50, each at its time whatever the answers
before it, as X sends; --rate 0: a flood from 8 senders) while the agents generate. Measured:

- the webhook's acknowledgement time (client side, p50 / p95; target p95 <= 50 ms), and a
  CRC challenge's (20 during the burst; X allows 3 s);
- the time for the queue to drain (first delivery to nothing left to decide or send);
- exactly once: every valid event has one answer on the fake X (a DM to its sender, a
  reply under the mention, counting a thread as one answer), every repeat none of its own,
  every bad signature 401 and nothing stored; every answer within X's 280;
- then the same burst again into a fresh deployment with a `kill -9` of the server in the
  middle and a restart (deliveries that find it down are retried, as X retries).

Baseline: the same deliveries to a bare receiver (FastAPI + uvicorn, the signature checked,
nothing stored, no model), one run, same senders: the floor of an acknowledgement on this
machine. The ratio is mynah's p95 over the bare one's.

    python benchmarks/agents.py --model runs/demo/tiny-chat --posts runs/demo/posts.db \\
        --kb-dir runs/demo/sample/kb [--events 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

CK, CS, AT, ATS = "bench-ck", "bench-cs", "bench-at", "bench-ats"
ISSUES = [
    "my card was charged twice for the same payment",
    "I cannot log in to the app since the update",
    "my transfer #{r} has not arrived yet",
    "how do I block my card, it was stolen",
    "the app shows a fee I did not expect on {r}",
    "where can I see my statement for last month",
]
HUMAN = ["can I talk to a human please", "I want to speak to a person", "I need a real agent"]
QUESTIONS = ["is this true?", "what is this about?", "source?", "can someone explain this?"]
SUBJECTS = [
    "the ferry to the island is late again",
    "they say the derby was moved to sunday",
    "the heatwave is worse than last year",
    "the new coffee place at the pier is closing",
    "the ballot count in the city is done already",
]


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def deployment(tmp: Path, api_base: str, kb_dir: Path) -> Path:
    from mynah.social.kb import KnowledgeBase

    for name, value in {"ck": CK, "cs": CS, "at": AT, "ats": ATS, "op": "bench-operator"}.items():
        (tmp / name).write_text(value)
    with KnowledgeBase.open(tmp / "kb.db") as kb:
        kb.ingest(sorted(kb_dir.glob("NovaBank*")), embed=False, name="NovaBank", log=lambda *a: None)
    (tmp / "platform.toml").write_text(
        f"""[x]
account_id = "1000"
consumer_key_file = "ck"
consumer_secret_file = "cs"
access_token_file = "at"
access_token_secret_file = "ats"
api_base = "{api_base}"

[agent]
kb = "kb.db"
business = "NovaBank"
operator_key_file = "op"
"""
    )
    return tmp / "platform.toml"


def serve(model: str, posts: Path, toml: Path, state: Path, port: int, log: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "mynah.cli", "serve", "--model", model, "--posts", str(posts)]
    cmd += ["--platform-config", str(toml), "--state-dir", str(state), "--port", str(port)]
    with open(log, "a") as out:
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"}
        )
    deadline = time.time() + 300
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(log.read_text()[-3000:])
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server not healthy in 300 s")


def burst(fake, n: int, seed: int) -> list[dict]:
    """The deliveries: {"raw", "sig", "event" (kind, id, uid), "valid", "repeat"}."""
    from mynah.social.platforms.x import sign_body

    r = random.Random(seed)
    fake.add_user("900", "news_desk")
    parents = [fake.post_tweet(s, "900", "news_desk")["id"] for s in SUBJECTS]
    out, originals = [], []
    n_bad = n // 20
    n_repeat = n // 10
    for i in range(n - n_bad - n_repeat):
        uid = str(2_000_000 + seed * 100_000 + i)
        if r.random() < 0.6:
            roll = r.random()
            text = (
                r.choice(HUMAN)
                if roll < 0.15
                else "STOP"
                if roll < 0.2
                else "Hi NovaBank, " + r.choice(ISSUES).format(r=f"#{r.randint(10000, 99999)}")
            )
            fake.add_user(uid, f"cust{uid}")
            ev = fake.create_dm(uid, fake.account_id, text)
            payload, event = fake.dm_payload(ev), {"kind": "dm", "id": ev["id"], "uid": uid}
        else:
            q = "write me a poem" if r.random() < 0.1 else r.choice(QUESTIONS)
            fake.add_user(uid, f"user{uid}")
            t = fake.create_tweet(uid, f"@mynah {q}", in_reply_to=r.choice(parents))
            payload, event = fake.mention_payload(t), {"kind": "mention", "id": t["id"], "uid": uid}
        raw = json.dumps(payload, separators=(",", ":")).encode()
        d = {"raw": raw, "sig": sign_body(CS, raw), "event": event, "valid": True, "repeat": False}
        out.append(d)
        originals.append(d)
    for _ in range(n_repeat):
        out.append({**r.choice(originals), "repeat": True})
    for i in range(n_bad):
        uid = str(3_000_000 + seed * 100_000 + i)
        fake.add_user(uid, f"bad{uid}")
        ev = fake.create_dm(uid, fake.account_id, "Hi NovaBank, my card was charged twice")
        raw = json.dumps(fake.dm_payload(ev), separators=(",", ":")).encode()
        sig = sign_body("not-the-secret", raw)
        out.append(
            {
                "raw": raw,
                "sig": sig,
                "event": {"kind": "dm", "id": ev["id"], "uid": uid},
                "valid": False,
                "repeat": False,
            }
        )
    r.shuffle(out)
    # a repeat goes after its original, as X's redeliveries do
    seen, ordered, later = set(), [], []
    for d in out:
        if d["repeat"] and d["event"]["id"] not in seen:
            later.append(d)
        else:
            ordered.append(d)
            seen.add(d["event"]["id"])
    return ordered + later


def send_all(
    url: str, deliveries: list[dict], retry_down: bool, on_half=None, rate: float | None = None
) -> tuple[list[float], dict]:
    """POST every delivery; ack times of the 200s and 401s; status counts. `rate`: deliveries
    a second, each sent at its time whatever the answers before it (as X sends them);
    None: as fast as 8 senders can (a flood). `retry_down`: a delivery that finds no
    server is sent again until it gets an answer."""
    lat: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    done = [0]
    client = httpx.Client(timeout=30)

    start = time.perf_counter()

    def one(item):
        i, d = item
        if rate is not None:
            time.sleep(max(0.0, start + i / rate - time.perf_counter()))
        while True:
            t0 = time.perf_counter()
            try:
                r = client.post(
                    url,
                    content=d["raw"],
                    headers={"content-type": "application/json", "x-twitter-webhooks-signature": d["sig"]},
                )
            except httpx.HTTPError:
                if not retry_down:
                    return
                time.sleep(0.5)
                continue
            dt = time.perf_counter() - t0
            with lock:
                lat.append(dt)
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                done[0] += 1
                if on_half is not None and done[0] == len(deliveries) // 2:
                    threading.Thread(target=on_half, daemon=True).start()
            return

    with ThreadPoolExecutor(8 if rate is None else 32) as ex:
        list(ex.map(one, enumerate(deliveries)))
    return lat, statuses


def crc_probe(url: str, stop: threading.Event, out: list[float]) -> None:
    from mynah.social.platforms.x import crc_response

    client = httpx.Client(timeout=10)  # one client, as X keeps its connections
    while not stop.is_set() and len(out) < 20:
        token = f"tok{len(out)}"
        t0 = time.perf_counter()
        try:
            r = client.get(url, params={"crc_token": token})
            if r.json() == crc_response(CS, token):
                out.append(time.perf_counter() - t0)
        except (httpx.HTTPError, ValueError):
            pass
        stop.wait(1.0)


def drained(state: Path) -> bool:
    from mynah.social.state import AgentState

    st = AgentState(state / "agents.db")
    busy = st.busy()
    st.close()
    return busy == 0


def check(fake, deliveries: list[dict], state: Path) -> dict:
    from mynah.social.length import rule_for
    from mynah.social.state import AgentState

    rule = rule_for("x")
    dms: dict[str, int] = {}
    replies: dict[str, int] = {}
    over = 0
    for s in fake.sent:
        over += not rule.fits(s["text"])
        if s["kind"] == "dm":
            dms[str(s["participant_id"])] = dms.get(str(s["participant_id"]), 0) + 1
        elif s.get("in_reply_to_tweet_id"):
            replies[s["in_reply_to_tweet_id"]] = replies.get(s["in_reply_to_tweet_id"], 0) + 1
    st = AgentState(state / "agents.db")
    stored = {r[0]: (r[1], r[2]) for r in st.q("SELECT id, status, note FROM inbox")}
    failed = st.q("SELECT COUNT(*) FROM outbox WHERE status = 'failed'")[0][0]
    st.close()
    valid = {d["event"]["id"]: d["event"] for d in deliveries if d["valid"]}
    bad = [d["event"] for d in deliveries if not d["valid"]]
    counts, why = [], {}
    for e in valid.values():
        counts.append(dms.get(e["uid"], 0) if e["kind"] == "dm" else replies.get(e["id"], 0))
        if counts[-1] != 1:  # what the inbox says of an event not answered exactly once
            key = f"{e['kind']}: " + " / ".join(str(x) for x in stored.get(e["id"], ("not stored",)))
            why[key] = why.get(key, 0) + 1
    return {
        "valid_events": len(valid),
        "answered_exactly_once": sum(c == 1 for c in counts),
        "unanswered": sum(c == 0 for c in counts),
        "answered_twice_or_more": sum(c > 1 for c in counts),
        "repeats": sum(d["repeat"] for d in deliveries),
        "bad_signatures": len(bad),
        "bad_signatures_stored": sum(e["id"] in stored for e in bad),
        "bad_signatures_answered": sum(dms.get(e["uid"], 0) > 0 for e in bad),
        "answers": len(fake.sent),
        "answers_over_280": over,
        "outbox_failed": failed,
        "not_exactly_once": why,
    }


def bare_receiver(port: int) -> subprocess.Popen:
    code = f"""
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from mynah.social.platforms.x import verify_signature
app = FastAPI()
@app.post("/webhooks/x")
async def hook(request: Request):
    raw = await request.body()
    if not verify_signature({CS!r}, raw, request.headers.get("x-twitter-webhooks-signature")):
        return JSONResponse({{}}, 401)
    return {{}}
uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning")
"""
    proc = subprocess.Popen([sys.executable, "-c", code])
    for _ in range(100):
        try:
            httpx.post(f"http://127.0.0.1:{port}/webhooks/x", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("bare receiver did not start")


def run(args, kill: bool, seed: int) -> dict:
    from mynah.social.fakes import serve_in_thread
    from mynah.social.fakes.x import create_app

    tmp = Path(tempfile.mkdtemp(prefix="mynah-agents-bench-"))
    app = create_app(CK, CS, access_token=AT, access_token_secret=ATS, echo_own=True)
    fake = app.state.fake
    running = serve_in_thread(app)
    posts = tmp / "posts.db"
    for f in Path(args.posts).parent.glob(Path(args.posts).name + "*"):
        shutil.copy(f, tmp / f.name)
    toml = deployment(tmp, running.url, Path(args.kb_dir))
    port, state, log = free_port(), tmp / "state", tmp / "serve.log"
    proc = serve(args.model, posts, toml, state, port, log)
    url = f"http://127.0.0.1:{port}/webhooks/x"
    fake.webhook_url = url
    deliveries = burst(fake, args.events, seed)
    restarted: dict = {}

    def kill_and_restart():
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        restarted["at"] = time.time()
        restarted["proc"] = serve(args.model, posts, toml, state, port, log)
        restarted["up"] = time.time()

    stop, crc = threading.Event(), []
    probe = threading.Thread(target=crc_probe, args=(url, stop, crc), daemon=True)
    t0 = time.time()
    probe.start()
    lat, statuses = send_all(
        url, deliveries, retry_down=kill, on_half=kill_and_restart if kill else None, rate=args.rate
    )
    acked = time.time()
    if kill:
        while "up" not in restarted:
            time.sleep(0.2)
    deadline = time.time() + args.drain_timeout
    while time.time() < deadline and not drained(state):
        time.sleep(0.5)
    drain = time.time() - t0
    time.sleep(2.0)  # echoes of our own sends come back and must stay unanswered
    stop.set()
    out = {
        "kill": kill,
        "deliveries": len(deliveries),
        "statuses": statuses,
        "ack_p50_ms": round(1000 * pct(lat, 0.5), 1),
        "ack_p95_ms": round(1000 * pct(lat, 0.95), 1),
        "ack_max_ms": round(1000 * max(lat), 1),
        "crc_p95_ms": round(1000 * pct(crc, 0.95), 1) if crc else None,
        "crc_n": len(crc),
        "send_seconds": round(acked - t0, 1),
        "drain_seconds": round(drain, 1),
        "drained": drained(state),
        **check(fake, deliveries, state),
    }
    if kill:
        out["down_seconds"] = round(restarted["up"] - restarted["at"], 1)
    # the baseline: the same deliveries to a bare receiver
    bport = free_port()
    bare = bare_receiver(bport)
    blat, _ = send_all(f"http://127.0.0.1:{bport}/webhooks/x", deliveries, retry_down=False, rate=args.rate)
    bare.terminate()
    out["bare_ack_p95_ms"] = round(1000 * pct(blat, 0.95), 1)
    out["ack_p95_ratio"] = round(out["ack_p95_ms"] / out["bare_ack_p95_ms"], 2)
    for p in (restarted.get("proc"), proc):
        if p is not None and p.poll() is None:
            p.terminate()
            p.wait(timeout=30)
    running.stop()
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        out["tmp"] = str(tmp)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="runs/demo/tiny-chat")
    ap.add_argument("--posts", default="runs/demo/posts.db")
    ap.add_argument("--kb-dir", default="runs/demo/sample/kb")
    ap.add_argument("--events", type=int, default=1000)
    ap.add_argument("--drain-timeout", type=float, default=1800)
    ap.add_argument(
        "--rate", type=float, default=50, help="deliveries a second (0: a flood, as fast as 8 senders can)"
    )
    ap.add_argument("--parts", default="burst,kill")
    ap.add_argument("--keep", action="store_true", help="keep the deployments' folders")
    ap.add_argument("--out", default=None, help="write the figures as JSON here")
    args = ap.parse_args()
    args.rate = args.rate or None
    print(f"# agents benchmark, {platform.node()}, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d %H:%M')}")
    results = {}
    for i, part in enumerate(args.parts.split(",")):
        r = run(args, kill=part == "kill", seed=i)
        results[part] = r
        print(json.dumps({part: r}, indent=1), flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
