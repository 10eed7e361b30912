"""Locust users for scripts/bench_load.py: coordinators of one community and an administrator."""

from __future__ import annotations

import json
import os
import random
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from locust import HttpUser, between, events, task

# Written by bench_load.py: ids to read, and free seats and unassigned people for writes.
PLAN = json.loads(Path(os.environ["LINKAGE_LOAD_PLAN"]).read_text(encoding="utf-8"))
WEEK_START = datetime.fromisoformat(PLAN["week_start"])
WINDOW = {"starts_from": PLAN["week_start"], "starts_to": PLAN["week_end"]}
# 409s are genuine outcomes of concurrent planning (a seat taken, a stale version): counted
# here, not as failures.
CONFLICTS: Counter[str] = Counter()


@events.quitting.add_listener
def _save_outcomes(**_kwargs) -> None:
    target = os.environ.get("LINKAGE_LOAD_OUTCOMES")
    if target:
        Path(target).write_text(json.dumps({"conflicts": dict(CONFLICTS)}), encoding="utf-8")


class _Planner(HttpUser):
    abstract = True
    wait_time = between(0.2, 1.0)
    who = ""
    suffix = ""

    def on_start(self) -> None:
        # Signed in beforehand (bench_load.py): argon2 sign-ins are not the load measured.
        self.mine = PLAN[self.who]
        token = random.choice(PLAN["tokens"][self.who])
        self.client.headers["Authorization"] = f"Bearer {token}"

    def _community(self) -> int:
        return random.choice(PLAN["communities"])

    def _get(self, path: str, name: str, params: dict | None = None) -> None:
        self.client.get(path, params=params, name=name + self.suffix)

    def _write(self, method: str, path: str, name: str, body: dict) -> None:
        name += self.suffix
        with self.client.request(
            method, path, json=body, name=name, catch_response=True
        ) as response:
            if response.status_code == 409:
                CONFLICTS[name] += 1
                response.success()
            elif response.status_code >= 400:
                response.failure(f"{response.status_code}: {response.text[:200]}")

    @task(10)
    def get_person(self) -> None:
        person = random.choice(self.mine["people"])
        self._get(f"/api/v1/people/{person}", "GET /people/{id}")

    @task(8)
    def get_need(self) -> None:
        self._get(f"/api/v1/needs/{random.choice(self.mine['needs'])}", "GET /needs/{id}")

    @task(6)
    def list_people(self) -> None:
        params = {"community_id": self._community(), "page": random.randint(1, 5), "page_size": 50}
        self._get("/api/v1/people", "GET /people?community_id", params)

    @task(6)
    def list_needs(self) -> None:
        params = {"community_id": self._community(), "page_size": 50, **WINDOW}
        self._get("/api/v1/needs", "GET /needs?community_id", params)

    @task(5)
    def list_assignments(self) -> None:
        pool = self.mine["busy_people"] if random.random() < 0.8 else self.mine["people"]
        params = {"person_id": random.choice(pool), "page_size": 50}
        self._get("/api/v1/assignments", "GET /assignments?person_id", params)

    @task(5)
    def list_shifts(self) -> None:
        params = {"community_id": self._community(), "page_size": 50, **WINDOW}
        self._get("/api/v1/shifts", "GET /shifts?community_id", params)

    @task(2)
    def assign(self) -> None:
        # Each person and each free seat is handed out once (users share this process's
        # lists), so a 409 means a genuine clash, not the script booking a seat twice.
        if not self.mine["free_people"] or not self.mine["seats"]:
            return
        body = {
            "person_id": self.mine["free_people"].pop(),
            "position_id": self.mine["seats"].pop(),
        }
        self._write("POST", "/api/v1/assignments", "POST /assignments", body)

    @task(2)
    def rename(self) -> None:
        person = random.choice(self.mine["people"])
        body = {"name": f"压测{random.randrange(10**6)}"}
        self._write("PATCH", f"/api/v1/people/{person}", "PATCH /people/{id}", body)

    @task(2)
    def add_exception(self) -> None:
        person = random.choice(self.mine["people"])
        start = WEEK_START + timedelta(days=random.randrange(7), hours=random.randrange(8, 20))
        body = {
            "kind": "unavailable",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=3)).isoformat(),
            "note": "load test",
        }
        path = f"/api/v1/people/{person}/availability/exceptions"
        self._write("POST", path, "POST /people/{id}/availability/exceptions", body)


class Coordinator(_Planner):
    """A coordinator scoped to one community: reads and writes there only."""

    weight = 3
    who = "coordinator"
    suffix = " (coordinator)"

    def _community(self) -> int:
        return self.mine["community_id"]


class Administrator(_Planner):
    """The district's administrator: any community."""

    weight = 1
    who = "admin"
