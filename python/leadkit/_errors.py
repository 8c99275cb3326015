"""Errors that carry every issue found in a document (a policy, a calendar)."""

from __future__ import annotations

import os

from . import _core


class DocumentError(ValueError):
    """A document has errors; ``.issues`` lists every issue found, warnings included."""

    kind = "document"

    def __init__(self, issues: list[_core.Issue], source: str | None = None):
        self.issues = list(issues)
        self.source = source
        errors = [i for i in self.issues if i.severity == "error"]
        where = f" {source}" if source else ""
        lines = "\n".join(f"  {i}" for i in errors)
        super().__init__(f"{self.kind}{where} has {len(errors)} error(s):\n{lines}")

    def __str__(self) -> str:
        return self.args[0]


def read_document(path: str | os.PathLike, error: type[DocumentError]) -> bytes:
    """A document file's bytes; text that is not UTF-8 is `error` naming the file and byte."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise error([_core.Issue("error", "", "", (
            f"not UTF-8 text: byte 0x{data[e.start]:02x} at offset {e.start} "
            "(save the file as UTF-8)"))], os.fspath(path)) from None
    return data


def as_bytes(text: str | bytes) -> bytes:
    """Lone surrogates cannot cross into C++ as text; as bytes they fail its UTF-8 check."""
    return text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
