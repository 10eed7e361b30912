"""Run an entry point, but stop it inside its first commit: written to the database, not committed.

Test-only (tests/process/test_faults.py SIGKILLs the process while it sleeps here), so that no
fault hook lives in production code. The marker file lists the writes the transaction sent
("INSERT INTO points_entries", "UPDATE assignments SET", ...), so a test knows it stopped the
process after them, not before.

usage: python tests/process/pause_before_commit.py MARKER MODULE:FUNCTION [ARG ...]
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

# Long enough for any test to kill us; if none does, we exit without committing.
PAUSE_S = 300
WRITES = ("INSERT", "UPDATE", "DELETE")


def main(argv: list[str] | None = None) -> int:
    marker_name, target, *args = sys.argv[1:] if argv is None else argv
    marker = Path(marker_name)
    writes: list[str] = []

    def before_cursor_execute(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        words = statement.split()
        if words and words[0].upper() in WRITES:
            writes.append(" ".join(words[:3]))

    def before_commit(session: Session) -> None:
        if session.in_nested_transaction():
            return  # a savepoint's release, not the transaction's commit
        # Everything reaches the database (and takes its locks) before we stop.
        session.flush()
        partial = marker.with_suffix(".partial")
        partial.write_text(json.dumps({"pid": os.getpid(), "writes": writes}))
        partial.replace(marker)
        time.sleep(PAUSE_S)
        os._exit(3)

    module, _, name = target.partition(":")
    entry = getattr(importlib.import_module(module), name)
    event.listen(Engine, "before_cursor_execute", before_cursor_execute)
    event.listen(Session, "before_commit", before_commit)
    sys.argv = [target, *args]
    return entry() or 0


if __name__ == "__main__":
    sys.exit(main())
