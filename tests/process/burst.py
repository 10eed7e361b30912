"""Send many HTTP requests at the same moment: one thread each, released by a barrier."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import requests

TIMEOUT_S = 60


def burst(count: int, send: Callable[[int], requests.Response]) -> list[requests.Response]:
    """Call `send(i)` for i in range(count) from `count` threads that all start together."""
    barrier = threading.Barrier(count, timeout=TIMEOUT_S)

    def one(i: int) -> requests.Response:
        barrier.wait()
        return send(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def statuses(responses: list[requests.Response]) -> Counter[int]:
    return Counter(response.status_code for response in responses)


def server_errors(responses: list[requests.Response]) -> list[str]:
    """The 5xx answers, with their bodies, for an assertion message."""
    return [f"{r.status_code}: {r.text[:300]}" for r in responses if r.status_code >= 500]
