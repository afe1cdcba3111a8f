"""The audit log: one JSON line a decision, appended to `audit.jsonl` in the deployment's
state folder. It holds the request id, the endpoint, the stage, the decision, the category
and the rule; the user's text only when the policy says `audit_text = true`. Each line is
written whole with one write() on a file opened for appending, so a crash leaves at most a
last line cut short and never interleaves two requests.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path


class AuditLog:
    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._lock = threading.Lock()

    def write(self, d, request_id: str, endpoint: str, text: str | None = None) -> None:
        rec = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "request_id": request_id,
            "endpoint": endpoint,
            "stage": d.stage,
            "decision": d.decision,
            "category": d.category,
            "rule_id": d.rule_id,
            "policy_version": d.version,
        }
        if d.score is not None:
            rec["score"] = round(d.score, 4)
        if text is not None:
            rec["text"] = text
        line = (json.dumps(rec, ensure_ascii=False) + "\n").encode()
        with self._lock:
            os.write(self._fd, line)

    def close(self) -> None:
        os.close(self._fd)
