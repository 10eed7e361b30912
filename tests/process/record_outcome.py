"""Record an assignment as completed, as an organization does after its shift (a test helper).

It calls the service directly on a session of its own (no Flask app, no solver imports), so the
process starts quickly. usage: python tests/process/record_outcome.py ASSIGNMENT_ID, with the
database named by LINKAGE_DATABASE_URL.
"""

from __future__ import annotations

import os
import sys

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from services import attendance


def main(argv: list[str] | None = None) -> int:
    [assignment_id] = sys.argv[1:] if argv is None else argv
    engine = create_engine(os.environ["LINKAGE_DATABASE_URL"])
    with Session(engine) as session:
        record = attendance.record_outcome(
            session=session, assignment_id=int(assignment_id), outcome="completed"
        )
        print(f"assignment {record.assignment_id}: {record.outcome}, {record.minutes} minutes")
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
