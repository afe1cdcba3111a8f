"""The README's agents walkthrough, run as it is written (litgpt's test_readme idea): the
block under "Walkthrough: a fake X on localhost" goes to bash with only the demo's paths
and the two ports replaced by the test's own, and what it leaves behind is checked."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import copy_store
from serve_helpers import free_port
from test_agents import _model

pytestmark = pytest.mark.slow

README = Path(__file__).resolve().parents[1] / "README.md"


def walkthrough() -> str:
    text = README.read_text(encoding="utf-8")
    part = text.split("### Walkthrough: a fake X on localhost", 1)[1]
    return re.search(r"```bash\n(.*?)```", part, re.S).group(1)


def test_the_readme_walkthrough_runs_as_written(talker, post_db, sample_dir, tmp_path):
    script = walkthrough()
    assert "mynah serve" in script and "/console/api/" in script
    model = _model(talker, tmp_path)
    db = copy_store(post_db, tmp_path / "db")
    fake_port, port = free_port(), free_port()
    for old, new in [
        ("runs/demo/tiny-chat", str(model)),
        ("runs/demo/posts.db", str(db)),
        ("runs/demo/sample", str(sample_dir)),
        ("../runs/demo/kb.db", str(tmp_path / "kb.db")),  # (the config's, relative to agent/, first)
        ("runs/demo/kb.db", str(tmp_path / "kb.db")),
        ("9100", str(fake_port)),
        ("8000", str(port)),
    ]:
        script = script.replace(old, new)
    # the README's `mynah` is .venv/bin/mynah; the servers' logs go to a file
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "PYTHONUNBUFFERED": "1",
    }
    body = "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n" + script
    work = tmp_path / "work"
    work.mkdir()
    r = subprocess.run(
        ["timeout", "300", "bash", "-c", body], cwd=work, env=env, capture_output=True, text=True, timeout=320
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    # what the fake X received, as step 4 and 5 print it, and the console's answers
    printed, dec, i = [], json.JSONDecoder(), r.stdout.find("{")
    while 0 <= i < len(r.stdout):  # curl prints its JSON bodies one after another
        obj, end = dec.raw_decode(r.stdout, i)
        printed.append(obj)
        i = r.stdout.find("{", end)
    sent = [x for x in printed if "sent" in x][-1]["sent"]
    assert [x["participant_id"] for x in sent if x["kind"] == "dm"] == ["42"]  # step 4: one answer
    assert any(x["kind"] == "tweet" and x["in_reply_to_tweet_id"] for x in sent)  # step 5: in the thread
    assert any(x.get("queued", "").startswith("human:") for x in printed)  # step 6: the person's reply
    assert printed[-1]["status"] == "bot" and printed[-1]["conversation"] == "42"  # released
    assert (work / "agent" / "platform.toml").exists()
