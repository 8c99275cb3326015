"""Writing output files: beside the target, then renamed into place."""

from __future__ import annotations

import os
import tempfile


def _umask() -> int:
    """The process's umask. Reading it means setting it; the two calls are back to back."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomically(path: str, text: str | bytes) -> None:
    """Writes beside `path` and renames, so a failure leaves no partial file. The file gets
    the permissions an ordinary ``open(path, "w")`` would (0666 less the umask); the private
    temporary file mkstemp creates is widened to that before the rename."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".leadkit-", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        if isinstance(text, bytes):
            with os.fdopen(fd, "wb") as binary:
                binary.write(text)
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
