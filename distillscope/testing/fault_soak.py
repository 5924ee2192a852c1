"""The fault soak: `distillscope generate` against a misbehaving server, SIGKILLed and restarted until every prompt is answered.

A loopback stub server (`stub_server.py`) injects 429s, 500s, connection
resets, truncated JSON, slow answers and dead periods, and numbers every
answer it delivers (" #<serial>", with the API key of the process that asked:
each process gets its own). The CLI runs as
real processes on one store, a second one alongside part of the time, and
each is killed with SIGKILL at random moments and started again, until the
store holds an answer to every prompt. After every kill the store's
`PRAGMA integrity_check` is read. At the end every delivered answer is
accounted for: the one stored per prompt, and the others, each either in
flight in a process at the moment it was killed (asked before the kill,
never stored), in flight in a run that stopped itself (circuit breaker),
answered after the client's timeout, or paid twice for no reason.

`benchmarks/soak.py` runs the long version and writes docs/reliability.md's
table; `tests/test_soak.py` a short one.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

from distillscope.testing.stub_server import StubConfig, StubLog, StubServer


@dataclass
class SoakPlan:
    prompts: int = 300
    seed: int = 0
    fault_rates: dict[str, float] = field(
        default_factory=lambda: {"429": 0.05, "500": 0.05, "reset": 0.04, "malformed": 0.04, "slow": 0.03}
    )
    kill_every_s: tuple[float, float] = (2.0, 6.0)  # a kill comes after a random wait in this range
    dead_every_s: tuple[float, float] = (8.0, 20.0)  # a dead period starts after a random wait in this range ...
    dead_for_s: tuple[float, float] = (0.5, 2.0)  # ... and lasts this long
    kill_after_start_s: float = 2.5  # a process is killed only once it has started up ...
    kill_after_requests: int = 20  # ... and the server has seen this many requests since it started
    second_process_share: float = 0.5  # chance that a second process runs alongside after each (re)start
    concurrency: int = 8
    client_timeout_s: float = 30.0  # the client's `timeout=`: a slow answer on a loaded machine is not a failure
    latency_s: float = 0.0
    time_limit_s: float = 1800.0


class SoakReport(BaseModel):
    prompts: int
    requests_sent: int
    faults: dict[str, int]
    answers_delivered: int
    answers_stored: int
    answers_lost: int  # prompts without a stored answer that came from a delivery of that prompt
    paid_twice_in_flight_at_kill: int  # delivered to a process at the moment it was killed, never stored, sent again
    paid_twice_after_client_timeout: int  # answered by the server after the client had given up on it (and asked again)
    paid_twice_in_flight_at_a_stop: int  # in flight when the run stopped itself (circuit breaker) and cancelled it
    paid_twice_otherwise: int  # must be 0
    unexplained: list[dict] = []  # the first of those, for diagnosis
    kills: int
    process_starts: int
    time_two_processes_s: float
    integrity_checks: int
    integrity_failures: int
    leftover_leases: int
    exit_codes: dict[str, int] = {}  # how the runs that were not killed ended (0 done, 1 failures recorded, 2 circuit breaker)
    wall_s: float


class Process:
    """One `distillscope generate` run."""

    def __init__(self, command: list[str], env: dict[str, str], log_file: Path, requests_before: int, key: str) -> None:
        self.requests_before = requests_before  # requests the server had seen when this process started
        self.key = key  # its own API key: the server logs it with every answer, so each answer names its process
        env = {**env, "OPENAI_API_KEY": key}
        with open(log_file, "ab") as output:  # the child keeps its own copy of the handle
            self.popen = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=output)
        self.started_wall = time.time()

    def running(self) -> bool:
        return self.popen.poll() is None


def integrity(store: Path) -> str:
    try:
        with sqlite3.connect(f"{store.resolve().as_uri()}?mode=ro", uri=True, timeout=30) as db:
            return db.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        return f"error: {exc}"


def stored_count(store: Path) -> int:
    try:
        with sqlite3.connect(f"{store.resolve().as_uri()}?mode=ro", uri=True, timeout=30) as db:
            return db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
    except sqlite3.DatabaseError:
        return 0


def stored_texts(store: Path) -> dict[str, str]:
    try:
        with sqlite3.connect(f"{store.resolve().as_uri()}?mode=ro", uri=True, timeout=30) as db:
            return dict(db.execute("SELECT prompt_id, text FROM responses"))
    except sqlite3.DatabaseError:
        return {}


def run_soak(plan: SoakPlan, workdir: Path, log: Callable[[str], object] = print) -> SoakReport:
    """Run the soak in `workdir` (prompts file, store, stderr of the runs) and account for every answer."""
    rng = random.Random(plan.seed)
    prompts = workdir / "prompts.jsonl"
    texts = {f"p{i:05d}": f"soak question {i}" for i in range(plan.prompts)}
    prompts.write_text("".join(json.dumps({"id": k, "text": t}) + "\n" for k, t in texts.items()), encoding="utf-8")
    store = workdir / "soak.sqlite"
    env = {**os.environ, "OPENAI_API_KEY": "sk-soak", "DISTILLSCOPE_STORE": str(store), "COLUMNS": "120"}
    config = StubConfig(latency_s=plan.latency_s, fault_rates=plan.fault_rates, fault_seed=plan.seed, number_answers=True, slow_s=0.3)
    kills, starts, checks, bad_checks = 0, 0, 0, 0
    cuts: dict[str, float] = {}  # the key of each killed process -> when it was killed
    stops: set[str] = set()  # the keys of processes that stopped themselves with an error (circuit breaker)
    exits: dict[int, int] = {}
    two_since: float | None = None
    two_total = 0.0
    started = time.monotonic()
    with StubServer(config) as server:
        spec = f"openai/stub?base_url={server.base_url}&concurrency={plan.concurrency}&timeout={plan.client_timeout_s:g}"
        command = [sys.executable, "-m", "distillscope", "generate", "-m", spec, "-p", str(prompts), "--store", str(store), "--no-progress"]
        processes: list[Process] = []
        next_kill = time.monotonic() + rng.uniform(*plan.kill_every_s)
        next_dead = time.monotonic() + rng.uniform(*plan.dead_every_s)
        dead_until = 0.0
        try:
            while True:
                now = time.monotonic()
                if now - started > plan.time_limit_s:
                    raise TimeoutError(f"the soak did not finish in {plan.time_limit_s:.0f} s")
                for process in processes:
                    if not process.running() and process.popen.returncode >= 0:  # on its own: 0 done, 1 failures, 2 breaker
                        exits[process.popen.returncode] = exits.get(process.popen.returncode, 0) + 1
                        if process.popen.returncode:
                            stops.add(process.key)
                processes = [p for p in processes if p.running()]
                complete = stored_count(store) >= plan.prompts
                if complete and not processes:
                    break
                if not complete and len(processes) < 2:  # (re)started; a second one alongside part of the time
                    # the first start is always two, so every soak, however fast the machine, shares the store
                    wanted = 1 if processes else (2 if starts == 0 or rng.random() < plan.second_process_share else 1)
                    for _ in range(wanted - len(processes)):
                        processes.append(Process(command, env, workdir / "runs.log", len(server.log), f"sk-soak-{starts}"))
                        starts += 1
                if len(processes) > 1 and two_since is None:
                    two_since = now
                if len(processes) < 2 and two_since is not None:
                    two_total += now - two_since
                    two_since = None
                if now >= next_dead and not config.dead:
                    config.dead, dead_until = True, now + rng.uniform(*plan.dead_for_s)
                if config.dead and now >= dead_until:
                    config.dead, next_dead = False, now + rng.uniform(*plan.dead_every_s)
                grown = [  # started up and sending: every kill comes after progress, however slow the machine
                    p
                    for p in processes
                    if time.time() - p.started_wall >= plan.kill_after_start_s
                    and len(server.log) - p.requests_before >= plan.kill_after_requests
                ]
                if now >= next_kill and grown and not complete:
                    victim = rng.choice(grown)
                    cut = time.time()
                    victim.popen.send_signal(signal.SIGKILL)
                    victim.popen.wait()  # reaped: its pid is gone, so its leases are seen as dead at once
                    kills += 1
                    cuts[victim.key] = cut
                    result = integrity(store)
                    checks += 1
                    bad_checks += result != "ok"
                    log(
                        f"{time.monotonic() - started:.1f}s kill {kills}: {stored_count(store)}/{plan.prompts} answered, {len(server.log)} requests so far, integrity {result}"
                    )
                    next_kill = now + rng.uniform(*plan.kill_every_s)
                time.sleep(0.05)
        finally:  # a soak stopped early (an error, Ctrl-C) leaves no run behind
            for process in processes:
                if process.running():
                    process.popen.kill()
                    process.popen.wait()
        if two_since is not None:
            two_total += time.monotonic() - two_since
        log_entries = list(server.log)
    wall = time.monotonic() - started
    report = account(plan, store, texts, log_entries, cuts, kills, starts, two_total, checks, bad_checks, wall, stops)
    return report.model_copy(update={"exit_codes": {str(code): n for code, n in sorted(exits.items())}})


def _answer_took(entry: StubLog) -> float:
    """Seconds from a request's arrival to its answer (every numbered delivery records its arrival)."""
    return entry.at - (entry.asked_at if entry.asked_at is not None else entry.at)


def account(
    plan: SoakPlan,
    store: Path,
    texts: dict[str, str],
    entries: Sequence[StubLog],
    cuts: dict[str, float],
    kills: int,
    starts: int,
    two_total: float,
    checks: int,
    bad_checks: int,
    wall: float,
    stops: Collection[str] = (),
) -> SoakReport:
    """Every delivered answer: stored (one per prompt) or, if not, in flight at a kill or paid twice for nothing."""
    delivered = {e.serial: e for e in entries if e.serial}
    stored = stored_texts(store)
    stored_serials = set()
    lost = 0
    for prompt_id, text in texts.items():
        answer = stored.get(prompt_id)
        serial = int(answer.rsplit("#", 1)[1]) if answer and "#" in answer else None
        if serial is None or serial not in delivered or delivered[serial].prompt != text:
            lost += 1
            continue
        stored_serials.add(serial)
    unstored = set(delivered) - stored_serials
    # asked by a process that was then killed: a dead process sends nothing, so its unstored answers were in flight
    # (the server's clock is no judge: under load its thread may read a request well after the kill)
    in_flight = {s for s in unstored if delivered[s].client_key in cuts}
    # answered later than the client's timeout after it was asked: the client gave up and asked again
    timed_out = {s for s in unstored - in_flight if _answer_took(delivered[s]) >= plan.client_timeout_s}
    # asked by a run that then stopped itself (circuit breaker, error) and cancelled what it had in flight
    at_stop = {s for s in unstored - in_flight - timed_out if delivered[s].client_key in stops}
    unexplained = unstored - in_flight - timed_out - at_stop
    faults: dict[str, int] = {}
    for e in entries:
        if e.fault:
            faults[e.fault] = faults.get(e.fault, 0) + 1
    with sqlite3.connect(store) as db:
        try:
            leases = db.execute("SELECT COUNT(*) FROM leases").fetchone()[0]
        except sqlite3.OperationalError:
            leases = 0
    return SoakReport(
        prompts=plan.prompts,
        requests_sent=len(entries),
        faults=faults,
        answers_delivered=len(delivered),
        answers_stored=len(stored_serials),
        answers_lost=lost,
        paid_twice_in_flight_at_kill=len(unstored & in_flight),
        paid_twice_after_client_timeout=len(timed_out),
        paid_twice_in_flight_at_a_stop=len(at_stop),
        paid_twice_otherwise=len(unexplained),
        unexplained=[
            {
                "serial": s,
                "prompt": delivered[s].prompt,
                "asked_at": delivered[s].asked_at,
                "at": delivered[s].at,
                "key": delivered[s].client_key,
            }
            for s in sorted(unexplained)[:20]
        ],
        kills=kills,
        process_starts=starts,
        time_two_processes_s=round(two_total, 1),
        integrity_checks=checks,
        integrity_failures=bad_checks,
        leftover_leases=leases,
        wall_s=round(wall, 1),
    )
