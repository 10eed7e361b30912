"""Where the processes under test live, and how a test runs them or kills them mid-commit."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
# The virtualenv running the tests also holds gunicorn and the `linkage` command.
BIN = Path(sys.executable).parent
PAUSE_WRAPPER = HERE / "pause_before_commit.py"
TIMEOUT_S = 120


def run(env: dict[str, str], *command: str) -> str:
    """Run a command to its end; its output (the test fails on a non-zero exit)."""
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT_S
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def kill_inside_commit(env: dict[str, str], workdir: Path, target: str, *args: str) -> dict:
    """Run MODULE:FUNCTION `target` until it sits inside its first commit, SIGKILL it there.

    Returns the wrapper's report: {"pid": ..., "writes": ["UPDATE assignments SET", ...]}.
    """
    marker = workdir / "paused.json"
    log = workdir / "paused.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, str(PAUSE_WRAPPER), str(marker), target, *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + TIMEOUT_S
        while not marker.exists():
            assert process.poll() is None, f"ended before its commit:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"never reached its commit:\n{log.read_text()}"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=TIMEOUT_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL, log.read_text()
    return json.loads(marker.read_text())
