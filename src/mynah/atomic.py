"""Write a file so that readers only ever see the old content or the new, whole, and let
one process at a time write a folder.

Every stage promises that a killed run leaves no half-written file: write beside the
target, then rename over it (a rename within one folder is atomic on POSIX). Two runs
writing one folder (a cron overlap) would remove or mix each other's files, so each
stage that owns an output folder holds `FolderLock` on it while it runs.
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


class FolderLock:
    """An exclusive lock on an output folder: DIR/.lock holds the owner's pid and is locked
    with fcntl.flock. The kernel releases it when the process ends, however it ends, so a
    run killed mid-way leaves no stale lock and `--resume` can start straight away.

    Entering creates the folder; an error a person can act on (a ValueError naming the
    path) comes instead of a traceback when it is a file or cannot be written, and when
    another live process holds the lock."""

    def __init__(self, folder: str | os.PathLike, what: str = "run"):
        self.folder, self.what, self.fd = Path(folder), what, None

    def __enter__(self) -> FolderLock:
        import fcntl

        folder = self.folder
        if folder.exists() and not folder.is_dir():
            raise ValueError(f"{folder}: exists and is not a folder; --out names the {self.what}'s folder")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise ValueError(f"{e.filename or folder}: cannot write here ({e.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise ValueError(
                f"another {self.what} (pid {pid}) is writing {folder}; wait for it or choose another --out"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self.fd = fd
        return self

    def __exit__(self, *exc) -> None:
        os.close(self.fd)  # the lock goes with the descriptor; the file stays, harmless
