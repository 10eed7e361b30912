"""Benchmark the people CSV import (create, re-import, update) and export: docs/benchmarks.md."""

from __future__ import annotations

import argparse
import csv
import io
import os
import platform
import random
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- import:start -->", "<!-- import:end -->"
TARGET_SECONDS = 10.0
SKILL_CODES = (
    "elderly_care",
    "counseling",
    "legal_advice",
    "tutoring_math",
    "tutoring_english",
    "first_aid",
    "it_help",
    "event_staff",
    "cantonese_opera",
    "photography",
)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
KINDS = ("elderly_visit", "tutoring", "it_help", "opera", "river_cleanup", "concert")
SURNAMES = "陈李黄张梁林何刘吴罗郑谢冯邓曾彭"
GIVEN = "伟明华丽芳婷敏杰俊文强燕玲健辉娟海洁"


def generate_csv(rows: int, *, seed: int, variant: int = 0) -> bytes:
    """`rows` people in the import format; a `variant` changes every row (name, skill, window)."""
    from services.people_csv import COLUMNS

    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for i in range(rows):
        skills = rng.sample(SKILL_CODES, rng.randint(0, 3))
        levels = [(code, (rng.randint(1, 5) + variant - 1) % 5 + 1) for code in skills]
        days = sorted(rng.sample(range(7), rng.randint(1, 4)))
        start = rng.choice((8, 9, 14, 18)) + variant % 2
        windows = [f"{WEEKDAYS[d]} {start:02d}:00-{start + 3:02d}:30" for d in days]
        if rng.random() < 0.05:
            windows.append("Sun 22:00-02:00")
        checked = rng.random() < 0.4
        writer.writerow(
            [
                f"BENCH-{i:06d}",
                rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN) + "乙" * variant,
                rng.choice(("volunteer",) * 7 + ("social_worker", "resident_activist") * 1),
                f"138{rng.randrange(10**7, 10**8)}",
                "",
                f"{23.10 + rng.random() * 0.05:.4f}",
                f"{113.24 + rng.random() * 0.06:.4f}",
                rng.choice(("yue;cmn", "cmn", "yue", "cmn;en")),
                rng.choice(("3", "5", "8", "")),
                rng.choice(("240", "480", "600", "")),
                rng.choice(("1", "2", "")),
                "yes" if checked else "no",
                "2026-03-01" if checked else "",
                ";".join(rng.sample(KINDS, rng.randint(0, 2))),
                "true",
                ";".join(f"{code}:{level}" for code, level in levels),
                ";".join(windows),
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _machine() -> str:
    # The load average says whether other work shared the CPUs during the run.
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average {load:.1f} at the end"
    )


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(rows: int, seed: int, database_url: str | None) -> dict:
    """Import, re-import, update and export `rows` people on a fresh database; the timings."""
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from api import create_app
    from models import Skill, db
    from services.people_csv import export_people_csv, import_people_csv

    tmp = tempfile.TemporaryDirectory(prefix="linkage-bench-")
    url = database_url or f"sqlite:///{tmp.name}/bench.sqlite"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    results: dict = {"rows": rows, "database": url.split(":", 1)[0], "steps": []}
    first, changed = generate_csv(rows, seed=seed), generate_csv(rows, seed=seed, variant=1)
    results["csv_mb"] = round(len(first) / 2**20, 2)
    with app.app_context():
        upgrade()
        if db.session.scalar(db.select(db.func.count()).select_from(Skill)):
            raise SystemExit("the database is not empty: give a fresh one")
        db.session.add_all(Skill(code=c, name_zh=c, name_en=c) for c in SKILL_CODES)
        db.session.commit()

        def step(name: str, action, expect: str) -> None:
            db.session.expire_all()
            t = time.perf_counter()
            report = action()
            seconds = time.perf_counter() - t
            got = getattr(report, expect) if expect else rows
            if got != rows:
                raise SystemExit(f"{name}: {expect} = {got}, expected {rows}")
            results["steps"].append({"step": name, "seconds": round(seconds, 2)})
            print(f"{name}: {seconds:.2f} s", file=sys.stderr)

        step(
            "import (all new)", lambda: import_people_csv(session=db.session, data=first), "created"
        )
        step(
            "re-import, unchanged",
            lambda: import_people_csv(session=db.session, data=first),
            "updated",
        )
        step(
            "re-import, every row changed",
            lambda: import_people_csv(session=db.session, data=changed),
            "updated",
        )
        exported: list[str] = []
        step("export", lambda: exported.append(export_people_csv(session=db.session)), "")
        round_trip = import_people_csv(session=db.session, data=exported[0])
        results["round_trip_ok"] = round_trip.updated == rows
        db.session.remove()
        db.engine.dispose()
    tmp.cleanup()
    results["peak_mb"] = round(_peak_mb())
    return results


def render(results: dict, command: str) -> str:
    """The benchmark section (between the markers) as Markdown."""
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows = results["rows"]
    lines = [
        START,
        "## People CSV import and export",
        "",
        f"Command: `{command}`  ",
        f"Run: {when}  ",
        f"Machine: {_machine()}, database: {results['database']}",
        "",
        f"{rows:,} generated people ({results['csv_mb']} MB of UTF-8 CSV with a BOM; 0-3 skills",
        "and 1-5 weekly windows each), imported through `services.people_csv` on a fresh,",
        f"migrated database. Target: import of {rows:,} rows in under {TARGET_SECONDS:.0f} s.",
        "",
        "| step | rows | seconds | rows/s |",
        "| --- | ---: | ---: | ---: |",
    ]
    for s in results["steps"]:
        rate = f"{rows / s['seconds']:,.0f}" if s["seconds"] else "—"
        lines.append(f"| {s['step']} | {rows:,} | {s['seconds']:.2f} | {rate} |")
    lines += [
        "",
        f"Peak resident memory of the process: {results['peak_mb']} MB (CSV generation included).",
        "Export then re-import reports every row `updated` with no change: "
        + ("yes." if results["round_trip_ok"] else "**no**."),
        END,
    ]
    return "\n".join(lines)


def write_section(path: Path, section: str) -> None:
    """Replace the text between the markers in `path` (create the file if needed)."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; returns 1 when the import misses its target."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--database-url", help="an empty database (default: a fresh SQLite file in a temp dir)"
    )
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    results = run(args.rows, args.seed, args.database_url)
    given = list(argv if argv is not None else sys.argv[1:])
    command = " ".join(["python scripts/bench_import.py", *given])
    section = render(results, command)
    print(section)
    if not args.no_write:
        write_section(Path(args.output), section)
    first_import = results["steps"][0]["seconds"]
    return 0 if first_import < TARGET_SECONDS and results["round_trip_ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
