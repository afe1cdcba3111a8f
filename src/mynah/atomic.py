"""Write a text file so that readers only ever see the old content or the new, whole.

Every stage promises that a killed run leaves no half-written file: write beside the
target, then rename over it (a rename within one folder is atomic on POSIX).
"""

from __future__ import annotations

import os
from pathlib import Path


def write_text(path: str | os.PathLike, text: str) -> None:
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
