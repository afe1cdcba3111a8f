"""The agents' threads: workers that decide, a sender per platform, pollers.

- Workers claim events from the inbox and commit each decision (its outbox rows) in one
  transaction (social/state.py). Several run at once, so their generations share the
  server's decode batch.
- One sender per platform sends the outbox in order, so a thread's parts go out in order
  and a platform's rate limit is honoured in one place: a 429 or 5xx puts the row back
  with the platform's Retry-After (or its rate-limit reset header), else an exponential
  backoff; a 4xx other than those fails it, with the platform's reason, for the console
  and the log. Before sending a row that an earlier attempt may have sent, it looks the
  post up on the platform (`find_sent`).
- Pollers (Bluesky, Mastodon) store what they fetch before they save their cursor, so a
  restart resumes where the last one stopped and a replay is deduplicated by the inbox.
"""

from __future__ import annotations

import os
import random
import signal
import sys
import threading

import httpx

from mynah.social.agents import Agents, Unavailable
from mynah.social.platforms.base import Adapter, Event, SendError
from mynah.social.state import AgentState

MAX_ATTEMPTS = 12
# Test-only: `MYNAH_TEST_KILL_AFTER_SENDS=N` kills this process with SIGKILL right after its
# Nth successful send, before the send is committed: the worst moment for exactly-once,
# placed deterministically for the kill-and-restart test. Never set in a deployment.
KILL_ENV = "MYNAH_TEST_KILL_AFTER_SENDS"


def log(msg: str) -> None:
    print(f"mynah agents: {msg}", file=sys.stderr, flush=True)


def backoff(attempts: int) -> float:
    return min(60.0, 0.5 * 2 ** max(0, attempts - 1)) * random.uniform(0.8, 1.2)


class Runner:
    def __init__(
        self,
        state: AgentState,
        adapters: dict[str, Adapter],
        agents: Agents,
        workers: int = 4,
        poll_interval: float = 5.0,
    ):
        self.state, self.adapters, self.agents = state, adapters, agents
        self.platforms = tuple(adapters)
        self.n_workers, self.poll_interval = workers, poll_interval
        self._stop = threading.Event()
        self._work = threading.Condition()
        self._send = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._sends = 0
        self._sends_lock = threading.Lock()
        env = os.environ.get(KILL_ENV)
        self._kill_after = int(env) if env and env.isdigit() else None

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> Runner:
        def spawn(target, name, *args):
            t = threading.Thread(target=target, args=args, name=name, daemon=True)
            t.start()
            self._threads.append(t)

        for i in range(self.n_workers):
            spawn(self._worker, f"mynah-agent-{i}")
        for p in self.platforms:
            spawn(self._sender, f"mynah-send-{p}", p)
            a = self.adapters[p]
            if hasattr(a, "poll"):
                spawn(self._poller, f"mynah-poll-{p}", p)
            if hasattr(a, "stream"):
                spawn(self._streamer, f"mynah-stream-{p}", p)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self.wake()
        for t in self._threads:
            t.join(timeout)

    def wake(self) -> None:
        with self._work:
            self._work.notify_all()
        with self._send:
            self._send.notify_all()

    def accept(self, events: list[Event]) -> tuple[int, int]:
        """Store `events` (a webhook's or a stream's) and wake the workers."""
        events = [
            e for e in events if e.sender_id != getattr(self.adapters.get(e.platform), "account_id", None)
        ]
        r = self.state.accept(events)
        if r[0]:
            with self._work:
                self._work.notify_all()
        return r

    def idle(self) -> bool:
        """Nothing left to decide or send (for tests and the benchmark)."""
        return self.state.busy(self.platforms) == 0

    # -- deciding -----------------------------------------------------------------------

    def _worker(self) -> None:
        while not self._stop.is_set():
            e = self.state.claim(self.platforms)
            if e is None:
                with self._work:
                    self._work.wait(0.5)
                continue
            try:
                plan = self.agents.decide(e, self.adapters[e.platform])
            except Unavailable as u:
                if not self.state.release(e, u.retry_after, str(u)):
                    log(f"{e.platform} event {e.id}: {u}; given up after repeated tries, not answered")
                continue
            except (SendError, httpx.HTTPError) as x:  # the platform's thread lookup failed
                if getattr(x, "permanent", False):
                    log(f"{e.platform} event {e.id}: {x}; not answered")
                    self.state.skip(e, str(x))
                elif not self.state.release(e, getattr(x, "retry_after", None) or 5.0, str(x)):
                    log(f"{e.platform} event {e.id}: {x}; given up after repeated tries, not answered")
                continue
            except Exception as x:  # a bug must not kill the worker or loop forever on one event
                log(f"{e.platform} event {e.id}: {type(x).__name__}: {x}; not answered")
                self.state.skip(e, f"{type(x).__name__}: {x}")
                continue
            self.state.commit(e, plan)
            if plan.sends:
                with self._send:
                    self._send.notify_all()

    # -- sending ------------------------------------------------------------------------

    def _sender(self, platform: str) -> None:
        adapter = self.adapters[platform]
        while not self._stop.is_set():
            got = self.state.due((platform,))
            if got is None:
                with self._send:
                    self._send.wait(0.25)
                continue
            s, attempts = got
            if attempts:
                # an earlier attempt may have reached the platform: look before sending again
                try:
                    found = adapter.find_sent(s)
                except (SendError, httpx.HTTPError) as x:
                    self.state.retry(s.key, getattr(x, "retry_after", None) or backoff(attempts), str(x))
                    continue
                if found is not None:
                    self.state.sent(s.key, found)
                    continue
                if attempts >= MAX_ATTEMPTS:
                    self.state.fail(s.key, f"not sent after {attempts} attempts")
                    log(f"{platform}: {s.key} not sent after {attempts} attempts")
                    continue
            self.state.attempt(s.key)
            try:
                sent = adapter.send(s)
            except SendError as x:
                if x.permanent:
                    self.state.fail(s.key, str(x))
                    log(f"{platform}: {s.key} refused by the platform: {x}")
                else:
                    self.state.retry(
                        s.key, x.retry_after if x.retry_after is not None else backoff(attempts + 1), str(x)
                    )
                continue
            except httpx.HTTPError as x:
                self.state.retry(s.key, backoff(attempts + 1), f"{type(x).__name__}: {x}")
                continue
            if self._kill_after is not None:
                with self._sends_lock:
                    self._sends += 1
                    if self._sends >= self._kill_after:
                        os.kill(os.getpid(), signal.SIGKILL)
            self.state.sent(s.key, sent)

    # -- fetching -----------------------------------------------------------------------

    def _poller(self, platform: str) -> None:
        adapter = self.adapters[platform]
        name = f"{platform}:notifications"
        while not self._stop.is_set():
            try:
                events, cursor = adapter.poll(self.state.cursor(name))
                self.accept(events)  # durable first ...
                self.state.save_cursor(name, cursor)  # ... then the cursor: a replay is deduplicated
                adapter.seen(cursor)
            except (SendError, httpx.HTTPError) as x:
                log(f"{platform}: polling failed ({x}); trying again")
                self._stop.wait(getattr(x, "retry_after", None) or self.poll_interval)
                continue
            self._stop.wait(self.poll_interval)

    def _streamer(self, platform: str) -> None:
        adapter = self.adapters[platform]
        while not self._stop.is_set():
            try:
                adapter.stream(lambda e: self.accept([e]), self._stop)
            except Exception as x:  # the poller covers the gap
                log(f"{platform}: stream ended ({type(x).__name__}: {x}); polling meanwhile")
            self._stop.wait(self.poll_interval)
