"""Several-server benchmark: `python -m benchmarks.servers [--items 10000] [--clients 20]`.

An organization of N items (10,000 by default; built as ``benchmarks.web`` builds it) in a scratch PostgreSQL
database (created and dropped here), with the sign-in limits in Redis as several servers share them. Two
``punchlist serve`` instances (gunicorn, 2 workers each) on the same database, environment and secret key.
Twenty people at once (threads, each signed in once) request register pages (pages, filters and searches
as ``benchmarks.web`` picks them): in turns, all of them through one server, then spread over both servers,
round after round, so that both figures see the same machine at the same moments. The target: p95 with two
servers at most 1.5x p95 with one, at the same load. Nothing a request needs may be held by one server, and
the second server must not cost the first (each keeps its own figures in memory, keyed on the audit chain's
head: a request never waits for another server).

Without a PostgreSQL (PUNCHLIST_DATABASE_URL, or 127.0.0.1:5432) or a Redis (127.0.0.1:6379, or
PUNCHLIST_TEST_REDIS_URL) it says which is missing and records the target as not measured.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from . import targets, web
from .register import _postgresql_url, _scratch_database

TARGET_RATIO = 1.5
REDIS_URL = os.environ.get("PUNCHLIST_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
NAME = "register page of 10,000 items, 20 clients, PostgreSQL: p95 with two servers against one"


def _redis_missing() -> str | None:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        return f"no Redis at {REDIS_URL} ({exc})"
    finally:
        client.close()
    return None


def _round(sessions: list, servers: list[str], paths: list[str], per_client: int, offset: int) -> list[float]:
    """Every session requests ``per_client`` register pages at once (one thread each), the servers taken in
    turn; the milliseconds of each request."""
    times, failures, lock = [], [], threading.Lock()

    def client(number: int, session) -> None:
        for n in range(per_client):
            path = paths[(offset + number * per_client + n) % len(paths)]
            base = servers[(number + n) % len(servers)]
            started = time.perf_counter()
            status, body = session.get(path, base=base)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if status != 200 or 'id="register-results"' not in body:
                    failures.append(f"{base}{path} answered {status}, not the register")
                times.append(elapsed)

    threads = [threading.Thread(target=client, args=(n, s)) for n, s in enumerate(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(failures[0])
    return times


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.servers")
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=4, help="rounds of each (one server, two servers)")
    parser.add_argument("--per-client", type=int, default=5, help="requests of each client in a round")
    args = parser.parse_args(argv)

    url = _postgresql_url()
    missing = "no PostgreSQL (PUNCHLIST_DATABASE_URL, or one at 127.0.0.1:5432)" if url is None else _redis_missing()
    if missing:
        print(f"benchmarks.servers: {missing}: the several-server figure is not measured")
        targets.record("benchmarks.servers", NAME, "not measured", f"at most {TARGET_RATIO}x", False)
        return 1

    database, drop = _scratch_database(url)
    prefix = f"punchlist-bench-{secrets.token_hex(4)}"
    folder = Path(tempfile.mkdtemp(prefix="punchlist-bench-servers-"))
    os.environ["PUNCHLIST_DATABASE_URL"] = database  # this process (the build) and both servers
    os.environ["PUNCHLIST_CACHE_URL"] = f"{REDIS_URL}?prefix={prefix}"
    servers, processes = [], []
    try:
        started = time.perf_counter()
        print(f"building {args.items:,} items in a scratch PostgreSQL database ...", file=sys.stderr)
        built = web.build(folder, args.items)
        print(f"built in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        from django.db import connections

        connections.close_all()
        for _ in range(2):  # one after the other: the second finds the schema and the static files done
            port = web.free_port()
            processes.append(web.serve(folder, port, 2))
            servers.append(f"http://127.0.0.1:{port}")
            web.wait_for(servers[-1], processes[-1])
        paths = web.register_paths(built["count"])
        sessions = []
        for number in range(args.clients):
            session = web.Session(servers[0])
            session.sign_in(f"owners{number % 8}" if number % 4 else "coordinator", web.PASSWORD)
            sessions.append(session)
        for base in servers:  # every gunicorn worker of both servers computes its index once, untimed
            for path in paths[:8]:
                sessions[0].get(path, base=base)
        one, two = [], []
        for number in range(args.rounds):
            offset = number * args.clients * args.per_client
            one += _round(sessions, servers[:1], paths, args.per_client, offset)
            two += _round(sessions, servers, paths, args.per_client, offset)
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(timeout=60)
        from django.db import connections

        connections.close_all()
        drop()
        shutil.rmtree(folder, ignore_errors=True)
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
        client.close()

    print(f"machine: {os.cpu_count()} CPUs, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
          "(other processes share them)")
    print(f"register of {built['count']:,} items, PostgreSQL, Redis; {args.clients} clients at once, "
          f"{args.rounds} rounds of {args.per_client} requests each per setup")
    for label, times in (("one server ", one), ("two servers", two)):
        print(f"{label}: {len(times)} requests, p50 {statistics.median(times):.0f} ms  p95 {p95(times):.0f} ms  "
              f"max {max(times):.0f} ms")
    ratio = p95(two) / p95(one)
    met = targets.record("benchmarks.servers", NAME, f"{ratio:.2f}x ({p95(two):.0f} ms against {p95(one):.0f} ms)",
                         f"at most {TARGET_RATIO}x", ratio <= TARGET_RATIO).met
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
