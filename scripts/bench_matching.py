"""Benchmark the matching engine on generated S, M and L problems into docs/benchmarks.md."""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- matching:start -->", "<!-- matching:end -->"
DEFAULT_LIMITS = {"S": 2.0, "M": 20.0, "L": 120.0}
TARGETS = {
    "S": "proven optimal < 2 s",
    "M": "gap <= 0.5 % < 20 s",
    "L": "gap <= 2 % < 120 s, < 4 GB",
}
SOLVERS = ("greedy", "cp-sat")


def run_one(size: str, solver: str, time_limit: float, seed: int, workers: int) -> dict:
    """Generate, solve and measure in this process; returns the metrics (used by the child)."""
    sys.path.insert(0, str(ROOT))
    from matching.generate import generate_problem
    from matching.solver import SolverConfig, solve

    load_before = os.getloadavg()[0]
    t = time.perf_counter()
    problem = generate_problem(size, seed=seed)
    generate_seconds = time.perf_counter() - t
    config = SolverConfig(solver=solver, time_limit_s=time_limit, workers=workers, seed=seed)
    solution = solve(problem, config)
    stats = solution.stats
    return {
        "size": size,
        "solver": solver,
        "people": len(problem.people),
        "shifts": len(problem.shifts),
        "objective": solution.objective.total,
        "bound": stats.bound,
        "bound_source": stats.bound_source,
        "gap": stats.gap,
        "status": stats.status,
        "wall_seconds": stats.wall_seconds,
        "generate_seconds": round(generate_seconds, 2),
        "fill_rate": _weighted_fill_rate(problem, solution),
        "gini": solution.fairness.gini_minutes,
        "assignments": len(solution.assignments),
        "variables": stats.variables,
        "constraints": stats.constraints,
        "extra": stats.extra,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "load": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def _weighted_fill_rate(problem, solution) -> float:
    """Seats filled over seats offered, each seat weighted 2^(priority-1) like coverage."""
    filled: dict[str, int] = {}
    for a in solution.assignments:
        filled[a.position_id] = filled.get(a.position_id, 0) + 1
    got = offered = 0
    for shift in problem.shifts:
        weight = 2 ** (shift.priority - 1)
        for q in shift.positions:
            got += weight * min(q.count, filled.get(q.id, 0))
            offered += weight * q.count
    return got / offered if offered else 1.0


def _child(size: str, solver: str, time_limit: float, seed: int, workers: int) -> dict:
    """Run one solve in a fresh interpreter so peak memory is that solve's alone."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        json.dumps([size, solver, time_limit, seed, workers]),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"size": size, "solver": solver, "error": done.stderr.strip()[-2000:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fp:
            names = [ln.split(":", 1)[1].strip() for ln in fp if ln.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    memory = ""
    try:
        with open("/proc/meminfo", encoding="utf-8") as fp:
            kb = int(next(ln for ln in fp if ln.startswith("MemTotal")).split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, StopIteration):
        pass
    import ortools

    return (
        f"{cpu}, {os.cpu_count()} logical cores{memory}; Python {platform.python_version()}, "
        f"OR-Tools {ortools.__version__}, {platform.system()} {platform.release()}"
    )


def _load(result: dict) -> str:
    """1-minute load average before and after the solve (other work shares the cores)."""
    load = result.get("load")
    return "—" if not load else f"{load[0]:.1f} → {load[1]:.1f}"


def _fmt(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _table(results: list[dict], limits: dict[str, float]) -> list[str]:
    lines = [
        "| size | solver | time limit | status | objective | bound (source) | gap | "
        "fill (prio-weighted) | Gini | wall s | peak MB | vars / cons | load avg | target |",
        "| --- | --- | --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | --- "
        "| --- |",
    ]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['size']} | {r['solver']} | error: {r['error'][-200:]} |")
            continue
        gap = "—" if r["gap"] is None else f"{100 * r['gap']:.3f} %"
        bound = f"{_fmt(r['bound'])} ({r['bound_source'] or '—'})"
        model = f"{r['variables']:,} / {r['constraints']:,}" if r["variables"] else "—"
        lines.append(
            f"| {r['size']} | {r['solver']} | {limits[r['size']]:g} s | {r['status']} | "
            f"{_fmt(r['objective'])} | {bound} | {gap} | {100 * r['fill_rate']:.1f} % | "
            f"{r['gini']:.3f} | {r['wall_seconds']:.1f} | {r['peak_mb']:,.0f} | {model} | "
            f"{_load(r)} | {TARGETS[r['size']] if r['solver'] == 'cp-sat' else 'baseline'} |"
        )
    return lines


def _profile(results: list[dict]) -> list[str]:
    lines = [
        "| size | solver | pairs eligible / kept | components | eligibility | pair table | "
        "greedy | flow | Lagrangian | repair | model build | CP-SAT search | explain |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        if "error" in r:
            continue
        x = r["extra"]
        t = x.get("timings", {})

        def s(v: object) -> str:
            return "—" if v is None else f"{float(v):.2f}"  # type: ignore[arg-type]

        kept = x.get("pairs_kept")
        pairs = f"{x.get('pairs_eligible', 0):,} / {'—' if kept is None else f'{kept:,}'}"
        lines.append(
            f"| {r['size']} | {r['solver']} | {pairs} | {x.get('components', '—')} | "
            f"{s(t.get('eligibility'))} | {s(t.get('pair_table'))} | {s(t.get('greedy'))} | "
            f"{s(t.get('flow'))} | {s(t.get('lagrangian'))} | {s(t.get('repair'))} | "
            f"{s(x.get('build_seconds'))} | "
            f"{s(x.get('search_seconds'))} | {s(t.get('explain'))} |"
        )
    return lines


def render(results: list[dict], command: str, limits: dict[str, float]) -> str:
    """The benchmark section (between the markers) as Markdown."""
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        START,
        "## Matching engine",
        "",
        f"Command: `{command}`  ",
        f"Run: {when}  ",
        f"Machine: {_machine()}",
        "",
        "Each solve runs in its own process (peak MB is that process's maximum resident set,",
        "problem generation included; wall s excludes generation). Gap = (bound - objective) /",
        "max(1, |bound|); the bound is proven (see docs/matching.md). Load avg is the machine's",
        "1-minute load average before and after the solve: above 2, other work took cores.",
        "",
        *_table(results, limits),
        "",
        "Where the time goes (seconds):",
        "",
        *_profile(results),
        END,
    ]
    return "\n".join(lines)


def write_section(path: Path, section: str) -> None:
    """Replace the text between the markers in `path` (create the file if needed)."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        tail = rest.split(END, 1)[1]
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; returns the exit status (1 if any run failed)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="S,M,L", help="comma-separated sizes (S, M, L)")
    parser.add_argument("--time-limit", type=float, help="seconds per solve (default per size)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        size, solver, limit, seed, workers = json.loads(args.child)
        print(json.dumps(run_one(size, solver, limit, seed, workers)))
        return 0
    sizes = [s.strip().upper() for s in args.sizes.split(",") if s.strip()]
    limits = {s: args.time_limit or DEFAULT_LIMITS[s] for s in sizes}
    results = []
    for size in sizes:
        for solver in SOLVERS:
            result = _child(size, solver, limits[size], args.seed, args.workers)
            results.append(result)
            summary = {k: result.get(k) for k in ("objective", "bound", "gap", "wall_seconds")}
            print(f"{size} {solver}: {result.get('error') or summary}", file=sys.stderr)
    command = "python scripts/bench_matching.py " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    section = render(results, command.strip(), limits)
    print(section)
    if not args.no_write:
        write_section(Path(args.output), section)
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
