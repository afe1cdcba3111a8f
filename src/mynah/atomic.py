"""Write a file so that readers only ever see the old content or the new, whole.

Every stage promises that a killed run leaves no half-written file: write beside the
target, then rename over it (a rename within one folder is atomic on POSIX).
"""

from __future__ import annotations

import os
from pathlib import Path


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    path = Path(path)
    # The pid keeps two writers of one file (a killed run's worker, its resumed run) apart.
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_text(path: str | os.PathLike, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))
