"""Load benchmark: a district's data in PostgreSQL, gunicorn, locust; writes docs/benchmarks.md."""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_import import SKILL_CODES, generate_csv  # noqa: E402

START, END = "<!-- load:start -->", "<!-- load:end -->"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/linkage_load"
BIN = Path(sys.executable).parent
TIMEZONE = "Asia/Shanghai"
TARGET_P95_MS = 100
# The target covers single-object reads and filtered lists of 50; writes are reported only.
TARGET_ENDPOINTS = (
    "GET /people/{id}",
    "GET /needs/{id}",
    "GET /people?community_id",
    "GET /needs?community_id",
    "GET /assignments?person_id",
    "GET /shifts?community_id",
)
SIZES = {
    "full": {"people": 30_000, "needs": 4_000, "seconds": 60, "users": 20},
    "small": {"people": 2_000, "needs": 300, "seconds": 15, "users": 10},
}
PEOPLE_PER_COMMUNITY = 750  # a Guangzhou community (社区) has a few thousand residents
COMMUNITIES_PER_STREET = 5
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
NEED_KINDS = ("elderly_visit", "tutoring", "it_help", "opera", "river_cleanup", "concert")
# Seats taken before the load starts: GET /assignments?person_id finds real rows.
PRE_FILLED_SHARE = 0.4
TOKENS_PER_ROLE = 4
REPEAT = 10  # calls per endpoint when counting queries and CPU time


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


# --- the database -----------------------------------------------------------------------------


def fresh_database(url: str) -> None:
    """Drop and create the database named in `url` (connecting to `postgres` on that server)."""
    import psycopg
    from sqlalchemy.engine import make_url

    target = make_url(url)
    if not target.drivername.startswith("postgresql") or not target.database:
        raise SystemExit("give a PostgreSQL URL with a database name")
    admin = target.set(drivername="postgresql", database="postgres")
    name = target.database.replace('"', "")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def bench_week(today: date) -> tuple[str, datetime, datetime]:
    """Next ISO week (shifts in the future, as a coordinator plans them) and its bounds."""
    from services.problems import parse_week

    year, week, _ = (today + timedelta(days=7)).isocalendar()
    name = f"{year}-W{week:02d}"
    start, end = parse_week(name, timezone=TIMEZONE)
    return name, start, end


def people_csv(people: int, community_ids: list[int], seed: int) -> bytes:
    """bench_import's generated people, each placed in a community (round robin)."""
    text = generate_csv(people, seed=seed).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    column = rows[0].index("community_id")
    for i, row in enumerate(rows[1:]):
        row[column] = str(community_ids[i % len(community_ids)])
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def build_needs(session, *, needs: int, communities, organizations, skills, week_start, rng):
    """`needs` needs over the communities: 85 % one-off with 1-3 shifts in the week (1-2
    positions of 1-3 seats, a third of them asking for a skill), 15 % weekly recurring with a
    template position (export_problem generates their shifts)."""
    from models import Need, Position, PositionSkill, Shift

    serving: dict[int, list] = {c.id: [] for c in communities}
    for org in organizations:
        for community in org.communities:
            serving[community.id].append(org)

    def position(need_id: int) -> Position:
        role = rng.choice(("volunteer", "volunteer", "any", "social_worker"))
        p = Position(need_id=need_id, role=role, count=rng.randint(1, 3), min_count=1, label=role)
        if rng.random() < 0.33:
            p.requirements.append(
                PositionSkill(skill_id=rng.choice(skills).id, min_level=rng.randint(1, 3))
            )
        return p

    for first in range(0, needs, 500):
        batch = []
        for i in range(first, min(needs, first + 500)):
            community = communities[i % len(communities)]
            kind = rng.choice(NEED_KINDS)
            need = Need(
                organization_id=rng.choice(serving[community.id]).id,
                community_id=community.id,
                kind=kind,
                title=f"{kind} #{i}",
                description="",
                lat=23.10 + rng.random() * 0.05,
                lon=113.24 + rng.random() * 0.06,
                priority=rng.randint(1, 5),
                requires_background_check=rng.random() < 0.2,
                points_tier=rng.choice(("ordinary", "ordinary", "skilled", "hard_to_fill")),
            )
            if rng.random() < 0.15:
                day, hour = rng.randrange(7), rng.choice((9, 14, 19))
                need.recurrence_rule = "FREQ=WEEKLY;BYDAY=" + WEEKDAYS[day]
                need.recurrence_start = week_start - timedelta(days=28 - day, hours=-hour)
                need.recurrence_minutes = 120
            batch.append(need)
        session.add_all(batch)
        session.flush()  # ids for the positions
        for need in batch:
            if need.recurrence_rule is not None:
                session.add(position(need.id))  # the template (no shift)
                continue
            starts = {
                week_start
                + timedelta(days=rng.randrange(7), hours=rng.choice((8, 9, 10, 14, 15, 19)))
                for _ in range(rng.randint(1, 3))
            }
            for start in sorted(starts):
                shift = Shift(
                    need_id=need.id,
                    starts_at=start,
                    ends_at=start + timedelta(hours=rng.choice((2, 3))),
                )
                shift.positions.extend(position(need.id) for _ in range(rng.randint(1, 2)))
                session.add(shift)
        session.flush()


def pre_fill(session, rng) -> int:
    """Confirmed seats on a share of the one-off positions, each for a different person of the
    need's community and the position's role (so nothing overlaps); returns how many."""
    from sqlalchemy import select

    from models import Assignment, Need, Person, Position, Shift

    people: dict[tuple[int, str], list[int]] = {}
    rows = session.execute(select(Person.id, Person.community_id, Person.role).order_by(Person.id))
    for pid, community_id, role in rows:
        people.setdefault((community_id, role), []).append(pid)
    for ids in people.values():
        rng.shuffle(ids)
    rows = session.execute(
        select(Position.id, Position.role, Position.shift_id, Need.community_id)
        .join(Shift, Shift.id == Position.shift_id)
        .join(Need, Need.id == Position.need_id)
        .order_by(Position.id)
    ).all()
    seats = []
    for position_id, role, shift_id, community_id in rows:
        if rng.random() >= PRE_FILLED_SHARE:
            continue
        pool = people.get((community_id, "volunteer" if role == "any" else role))
        if pool:
            seats.append((pool.pop(), position_id, shift_id))
    session.add_all(
        Assignment(person_id=p, position_id=pos, shift_id=s, status="confirmed", source="auto")
        for p, pos, s in seats
    )
    session.flush()
    return len(seats)


def build(url: str, sizes: dict, seed: int, week_start: datetime) -> dict:
    """Migrate, seed the catalogue, import people by CSV (timed), add needs and seats."""
    from flask_migrate import upgrade
    from sqlalchemy import func, select, text

    from api import create_app
    from models import Community, Organization, Position, Shift, Skill, db
    from services.people_csv import import_people_csv

    rng = random.Random(seed)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    facts: dict = {}
    with app.app_context():
        upgrade()
        skills = [Skill(code=c, name_zh=c, name_en=c) for c in SKILL_CODES]
        n_communities = max(4, sizes["people"] // PEOPLE_PER_COMMUNITY)
        communities = [
            Community(
                district="越秀区",
                street=f"街道{i // COMMUNITIES_PER_STREET + 1}",
                name=f"社区{i + 1}",
                lat=23.10 + rng.random() * 0.05,
                lon=113.24 + rng.random() * 0.06,
            )
            for i in range(n_communities)
        ]
        organizations = []
        for i in range(n_communities):
            served = {communities[i], *rng.sample(communities, rng.randint(1, 3))}
            organizations.append(
                Organization(
                    name=f"机构{i + 1}",
                    kind=rng.choice(("social_work_organization", "volunteer_team")),
                    communities=sorted(served, key=lambda c: c.name),
                )
            )
        db.session.add_all([*skills, *communities, *organizations])
        db.session.commit()
        community_ids = [c.id for c in communities]

        data = people_csv(sizes["people"], community_ids, seed)
        facts["csv_mb"] = round(len(data) / 2**20, 2)
        log(f"importing {sizes['people']:,} people by CSV ({facts['csv_mb']} MB)")
        began, cpu = time.perf_counter(), time.process_time()
        report = import_people_csv(session=db.session, data=data)
        facts["import_s"] = round(time.perf_counter() - began, 2)
        facts["import_cpu_s"] = round(time.process_time() - cpu, 2)
        if report.created != sizes["people"]:
            raise SystemExit(f"import created {report.created}, expected {sizes['people']}")
        log(f"import: {facts['import_s']} s")

        began = time.perf_counter()
        build_needs(
            db.session,
            needs=sizes["needs"],
            communities=communities,
            organizations=organizations,
            skills=skills,
            week_start=week_start,
            rng=rng,
        )
        facts["pre_filled"] = pre_fill(db.session, rng)
        db.session.commit()
        facts["needs_s"] = round(time.perf_counter() - began, 2)
        # What autovacuum would do soon after a bulk load: without statistics the planner
        # scans person_skills whole for each page of people.
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        facts["communities"] = n_communities
        facts["streets"] = -(-n_communities // COMMUNITIES_PER_STREET)
        facts["organizations"] = len(organizations)
        facts["shifts"] = db.session.scalar(select(func.count()).select_from(Shift))
        facts["positions"] = db.session.scalar(
            select(func.count()).select_from(Position).where(Position.shift_id.is_not(None))
        )
        log(f"needs, shifts, seats: {facts['needs_s']} s")
        db.session.remove()
        db.engine.dispose()
    return facts


def time_export(url: str, week: str) -> dict:
    """The problem export of the whole district for `week` (recurring shifts generated first)."""
    from api import create_app
    from models import db
    from services.problems import export_problem

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        began, cpu = time.perf_counter(), time.process_time()
        problem = export_problem(session=db.session, week=week, timezone=TIMEZONE)
        export_s, export_cpu = time.perf_counter() - began, time.process_time() - cpu
        began = time.perf_counter()
        body = json.dumps(problem, default=str)
        json_s = time.perf_counter() - began
        db.session.remove()
        db.engine.dispose()
    counts = {k: len(v) for k, v in problem.items() if isinstance(v, list)}
    log(f"export: {export_s:.2f} s + JSON {json_s:.2f} s, {counts}")
    return {
        "export_s": round(export_s, 2),
        "export_cpu_s": round(export_cpu, 2),
        "json_s": round(json_s, 2),
        "export_mb": round(len(body) / 2**20, 1),
        "export_counts": counts,
    }


def load_plan(url: str, week_start: datetime, week_end: datetime, seed: int) -> dict:
    """What locust users read and write: ids to read, and for writes free seats and people
    who hold nothing (each handed out once, so a manual assignment rarely clashes)."""
    from sqlalchemy import create_engine, text

    rng = random.Random(seed + 1)
    engine = create_engine(url)
    with engine.connect() as conn:
        people = conn.execute(text("SELECT id, community_id, role FROM people ORDER BY id")).all()
        needs = conn.execute(text("SELECT id, community_id FROM needs ORDER BY id")).all()
        busy = {r[0] for r in conn.execute(text("SELECT DISTINCT person_id FROM assignments"))}
        seats = conn.execute(
            text(
                "SELECT p.id, n.community_id, p.count - count(a.id) AS free "
                "FROM positions p JOIN shifts s ON s.id = p.shift_id "
                "JOIN needs n ON n.id = p.need_id "
                "LEFT JOIN assignments a ON a.position_id = p.id "
                "WHERE p.role IN ('any', 'volunteer') AND NOT s.cancelled "
                "AND n.recurrence_rule IS NULL "
                "GROUP BY p.id, n.community_id, p.count ORDER BY p.id"
            )
        ).all()
    engine.dispose()
    # The coordinator's community: the first one (every community is alike in size).
    home = people[0].community_id

    def split(rows, key):
        mine = [r for r in rows if key(r) == home]
        return mine, [r for r in rows if key(r) != home]

    free_people = [p for p in people if p.id not in busy and p.role == "volunteer"]
    seat_list = [(s.id, s.community_id) for s in seats for _ in range(max(0, s.free))]
    rng.shuffle(seat_list)
    rng.shuffle(free_people)
    home_people, other_people = split(people, lambda r: r.community_id)
    home_needs, _ = split(needs, lambda r: r.community_id)
    home_free, other_free = split(free_people, lambda r: r.community_id)
    home_seats, other_seats = split(seat_list, lambda r: r[1])
    busy_home = [p.id for p in home_people if p.id in busy]
    return {
        "week_start": week_start.isoformat(),
        "week_end": week_end.isoformat(),
        "communities": sorted({p.community_id for p in people}),
        "admin": {
            "people": [p.id for p in people],
            "needs": [n.id for n in needs],
            "busy_people": sorted(busy),
            "free_people": [p.id for p in other_free],
            "seats": [s[0] for s in other_seats],
        },
        "coordinator": {
            "community_id": home,
            "people": [p.id for p in home_people],
            "needs": [n.id for n in home_needs],
            "busy_people": busy_home,
            "free_people": [p.id for p in home_free],
            "seats": [s[0] for s in home_seats],
        },
    }


# --- the server and the load --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "LINKAGE_DATABASE_URL": url,
            "LINKAGE_SECRET_KEY": secrets.token_hex(32),
            "LINKAGE_WRITE_RATE_LIMIT": "1000000 per minute",
            "LINKAGE_LOGIN_RATE_LIMIT": "1000000 per minute",
            "LINKAGE_RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
            "LINKAGE_TIMEZONE": TIMEZONE,
        }
    )
    return env


def call(base: str, method: str, path: str, body=None, token: str | None = None) -> dict:
    request = urllib.request.Request(
        base + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"}
        | ({"Authorization": f"Bearer {token}"} if token else {}),
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def start_gunicorn(env: dict[str, str], port: int, workers: int) -> subprocess.Popen:
    command = [
        str(BIN / "gunicorn"),
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "api:create_app()",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        try:
            call(base, "GET", "/api/v1/health")
            return server
        except OSError:
            time.sleep(0.5)
    server.terminate()
    raise SystemExit("gunicorn did not answer /api/v1/health within 60 s")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def create_accounts(
    env: dict[str, str], base: str, password: str, community_id: int
) -> dict[str, list[str]]:
    """An administrator with `linkage create-user`, then a coordinator of one community; a
    few signed-in tokens of each (argon2 sign-ins stay out of the measured load, as a
    coordinator signs in once a day)."""
    subprocess.run(
        [str(BIN / "linkage"), "create-user", "bench-admin", "--role", "admin"],
        cwd=ROOT,
        env=env | {"LINKAGE_NEW_USER_PASSWORD": password},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    token = call(
        base, "POST", "/api/v1/auth/login", {"username": "bench-admin", "password": password}
    )["token"]
    call(
        base,
        "POST",
        "/api/v1/auth/users",
        {
            "username": "bench-coordinator",
            "password": password,
            "role": "coordinator",
            "scopes": [{"community_id": community_id}],
        },
        token,
    )
    return {
        who: [
            call(base, "POST", "/api/v1/auth/login", {"username": username, "password": password})[
                "token"
            ]
            for _ in range(TOKENS_PER_ROLE)
        ]
        for who, username in (("admin", "bench-admin"), ("coordinator", "bench-coordinator"))
    }


def warm_up(base: str, plan: dict, tokens: dict[str, list[str]], workers: int) -> None:
    """A few reads per worker first: imports, mappers and connection pools get ready."""
    community = plan["coordinator"]["community_id"]
    for round_ in range(3 * workers):
        for who in ("admin", "coordinator"):
            token, mine = tokens[who][round_ % TOKENS_PER_ROLE], plan[who]
            for path in (
                f"/api/v1/people/{mine['people'][round_]}",
                f"/api/v1/needs/{mine['needs'][round_]}",
                f"/api/v1/people?community_id={community}",
                f"/api/v1/needs?community_id={community}",
                f"/api/v1/shifts?community_id={community}",
                f"/api/v1/assignments?person_id={mine['people'][round_]}",
            ):
                call(base, "GET", path, token=token)


def run_locust(base: str, plan_path: Path, out: Path, users: int, seconds: int):
    prefix = out / "locust"
    command = [
        str(BIN / "locust"),
        "-f",
        str(ROOT / "scripts" / "locustfile.py"),
        "--headless",
        "-u",
        str(users),
        "-r",
        str(max(1, users // 2)),
        "-t",
        f"{seconds}s",
        "--host",
        base,
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    env = dict(os.environ) | {
        "LINKAGE_LOAD_PLAN": str(plan_path),
        "LINKAGE_LOAD_OUTCOMES": str(out / "outcomes.json"),
    }
    log("locust: " + " ".join(command[1:]))
    subprocess.run(command, cwd=ROOT, env=env, check=False)
    with open(f"{prefix}_stats.csv", encoding="utf-8") as f:
        stats = list(csv.DictReader(f))
    outcomes_file = out / "outcomes.json"
    outcomes = json.loads(outcomes_file.read_text()) if outcomes_file.exists() else {}
    failures_file = Path(f"{prefix}_failures.csv")
    failures = list(csv.DictReader(failures_file.open())) if failures_file.exists() else []
    return stats, outcomes, failures, " ".join(["locust", *command[1:]])


# --- queries per request -----------------------------------------------------------------------


def count_queries(url: str, plan: dict, password: str) -> list[dict]:
    """Each endpoint in-process (Flask test client, same database, no other requests): SQL
    statements of one call, to tell an N+1 from slow SQL, and the mean wall and CPU ms of
    this process over REPEAT calls (CPU time hardly depends on what else the machine runs)."""
    from sqlalchemy import event

    from api import create_app
    from models import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})
    client = app.test_client()
    results = []
    with app.app_context():
        statements: list[str] = []
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        for who, username in (("admin", "bench-admin"), ("coordinator", "bench-coordinator")):
            token = client.post(
                "/api/v1/auth/login", json={"username": username, "password": password}
            ).json["token"]
            headers = {"Authorization": f"Bearer {token}"}
            mine = plan[who]
            community = plan["coordinator"]["community_id"]
            window = f"starts_from={plan['week_start']}&starts_to={plan['week_end']}".replace(
                "+", "%2B"
            )
            paths = [
                ("GET /people/{id}", f"/api/v1/people/{mine['people'][7]}"),
                ("GET /needs/{id}", f"/api/v1/needs/{mine['needs'][3]}"),
                ("GET /people?community_id", f"/api/v1/people?community_id={community}"),
                ("GET /needs?community_id", f"/api/v1/needs?community_id={community}&{window}"),
                (
                    "GET /assignments?person_id",
                    f"/api/v1/assignments?person_id={mine['busy_people'][0]}",
                ),
                ("GET /shifts?community_id", f"/api/v1/shifts?community_id={community}&{window}"),
            ]
            for name, path in paths:
                client.get(path, headers=headers)  # warm caches, as a long-running worker is
                statements.clear()
                response = client.get(path, headers=headers)
                queries = len(statements)
                began, cpu = time.perf_counter(), time.process_time()
                for _ in range(REPEAT):
                    client.get(path, headers=headers)
                results.append(
                    {
                        "who": who,
                        "name": name,
                        "status": response.status_code,
                        "queries": queries,
                        "ms": round((time.perf_counter() - began) * 1000 / REPEAT, 1),
                        "cpu_ms": round((time.process_time() - cpu) * 1000 / REPEAT, 1),
                        "items": len(response.json) if isinstance(response.json, list) else 1,
                    }
                )
        db.session.remove()
        db.engine.dispose()
    return results


# --- the report ---------------------------------------------------------------------------------


def _ms(value: str) -> str:
    return f"{float(value):.0f}" if value not in ("", "N/A") else "—"


def render(r: dict, command: str) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    sizes = r["sizes"]
    f = r["facts"]
    lines = [
        START,
        "## Load: gunicorn + PostgreSQL, a district's data",
        "",
        f"Command: `{command}`  ",
        f"Run: {when}  ",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs shared by PostgreSQL, "
        f"{r['workers']} gunicorn sync workers **and the locust load generator**; Python "
        f"{platform.python_version()}. 1-minute load average {r['load_before']:.1f} before the "
        f"load, {r['load_after']:.1f} after (above 2: other work shared the CPUs).",
        "",
        f"Data: {sizes['people']:,} people in {f['communities']} communities on "
        f"{f['streets']} streets, {sizes['needs']:,} needs of {f['organizations']} "
        f"organizations ({f['shifts']:,} shifts and {f['positions']:,} shift positions in the "
        f"week {r['week']}, 15 % of needs weekly recurring), {f['pre_filled']:,} confirmed seats "
        "before the load. Built by the script in a fresh database.",
        "",
        "| step | seconds | CPU s of this process |",
        "| --- | ---: | ---: |",
        f"| CSV import of {sizes['people']:,} people ({f['csv_mb']} MB, "
        f"`services.people_csv`) | {f['import_s']:.2f} | {f['import_cpu_s']:.2f} |",
        f"| problem export of the whole district, week {r['week']} "
        f"(`services.problems.export_problem`: {r['export']['export_counts'].get('people', '?'):,}"
        f" people, {r['export']['export_counts'].get('shifts', '?'):,} shifts) "
        f"| {r['export']['export_s']:.2f} | {r['export']['export_cpu_s']:.2f} |",
        f"| its JSON ({r['export']['export_mb']} MB) | {r['export']['json_s']:.2f} | |",
        "",
        f"Load: {r['users']} locust users for {r['seconds']} s (3 coordinators of one community "
        "to 1 administrator; each waits 0.2-1 s between requests), signed in beforehand. Lists "
        "ask for pages of 50. Writes: manual assignments of people who hold nothing to free "
        "seats, renames, and availability exceptions.",
        "",
        "| endpoint | requests | failures | req/s | p50 ms | p95 ms | p99 ms | target |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    met = True
    for row in r["stats"]:
        name = row["Name"]
        aggregated = name == "Aggregated"
        base = name.removesuffix(" (coordinator)")
        target = ""
        if base in TARGET_ENDPOINTS:
            ok = float(row["95%"]) < TARGET_P95_MS
            met = met and ok
            target = f"p95 < {TARGET_P95_MS}: " + ("yes" if ok else "**no**")
        label = "**all**" if aggregated else f"`{name}`"
        lines.append(
            f"| {label} | {int(row['Request Count']):,} | {int(row['Failure Count']):,} | "
            f"{float(row['Requests/s']):.1f} | {_ms(row['50%'])} | {_ms(row['95%'])} | "
            f"{_ms(row['99%'])} | {target} |"
        )
    clashes = r["outcomes"].get("conflicts", {})
    lines += [
        "",
        "Conflicts (409, counted as expected outcomes, not failures): "
        + (", ".join(f"{k}: {v}" for k, v in sorted(clashes.items())) or "none")
        + ".  ",
        f"Failures: {r['failures']:,}"
        + (
            " (" + "; ".join(f"{x['Name']}: {x['Error'][:80]}" for x in r["failure_rows"][:5]) + ")"
            if r["failure_rows"]
            else ""
        )
        + ".  ",
        f"Target (p95 under {TARGET_P95_MS} ms for single-object reads and lists of 50): "
        + ("**met**." if met else "**missed**."),
        "",
        "Per request, in-process after the load (Flask test client on the same database, caches "
        f"warm, no other requests; mean of {REPEAT} calls): SQL statements of one call, rows "
        "returned, wall ms, and CPU ms of the Python process (PostgreSQL's share not included; "
        "CPU time depends less than wall time on what else the machine runs):",
        "",
        "| endpoint | caller | queries | rows | wall ms | CPU ms |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for q in r["queries"]:
        lines.append(
            f"| `{q['name']}` | {q['who']} | {q['queries']} | {q['items']} | {q['ms']} | "
            f"{q['cpu_ms']} |"
        )
    lines.append(END)
    r["target_met"] = met
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Build, time, load, report; returns 1 on a failed request or a missed target."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", action="store_true", help="2,000 people, 300 needs, 15 s")
    parser.add_argument("--database-url", default=DEFAULT_URL, help="dropped and re-created")
    parser.add_argument("--users", type=int, help="locust users (default 20, small 10)")
    parser.add_argument("--seconds", type=int, help="load duration (default 60, small 15)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    sizes = dict(SIZES["small" if args.small else "full"])
    users = args.users or sizes["users"]
    seconds = args.seconds or sizes["seconds"]
    out = Path(tempfile.mkdtemp(prefix="linkage-load-"))
    password = secrets.token_urlsafe(18)
    week, week_start, week_end = bench_week(datetime.now(UTC).date())

    log(f"fresh database {args.database_url}; artefacts in {out}")
    fresh_database(args.database_url)
    facts = build(args.database_url, sizes, args.seed, week_start)
    export = time_export(args.database_url, week)
    plan = load_plan(args.database_url, week_start, week_end, args.seed)
    plan_path = out / "plan.json"
    plan_path.write_text(json.dumps(plan))

    env = server_env(args.database_url)
    port = free_port()
    server = start_gunicorn(env, port, args.workers)
    base = f"http://127.0.0.1:{port}"
    try:
        community = plan["coordinator"]["community_id"]
        plan["tokens"] = create_accounts(env, base, password, community)
        plan_path.write_text(json.dumps(plan))
        warm_up(base, plan, plan["tokens"], args.workers)
        load_before = os.getloadavg()[0]
        stats, outcomes, failure_rows, locust_command = run_locust(
            base, plan_path, out, users, seconds
        )
        load_after = os.getloadavg()[0]
    finally:
        stop(server)
    queries = count_queries(args.database_url, plan, password)
    results = {
        "sizes": sizes,
        "facts": facts,
        "export": export,
        "week": week,
        "users": users,
        "seconds": seconds,
        "workers": args.workers,
        "load_before": load_before,
        "load_after": load_after,
        "stats": stats,
        "outcomes": outcomes,
        "failure_rows": failure_rows,
        "failures": sum(int(r["Failure Count"]) for r in stats if r["Name"] == "Aggregated"),
        "queries": queries,
    }
    given = list(argv if argv is not None else sys.argv[1:])
    section = render(results, " ".join(["python scripts/bench_load.py", *given]))
    locust_shown = locust_command.replace(str(out), "$TMP")
    section = section.replace("\nLoad: ", f"\nLocust: `{locust_shown}`  \nLoad: ", 1)
    print(section)
    if not args.no_write:
        write_section_between(Path(args.output), section)
    return 0 if results["failures"] == 0 and results["target_met"] else 1


def write_section_between(path: Path, section: str) -> None:
    """Replace the text between this benchmark's markers (the other sections are not ours)."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
