"""Notification fan-out benchmark: commit → websocket receipt, against the raw Redis floor.

    .venv/bin/python bench/notifications.py        # uvicorn, 1 and 2 processes: 1/100/1000 + rate
    .venv/bin/python bench/notifications.py --servers uvicorn --clients 1000 --no-rate

Everything runs on loopback: a throw-away SQLite database in a temporary directory, the Redis
at REDIS_URL (default redis://127.0.0.1:6379/0, under a unique channel prefix), the ASGI
server under test in a subprocess (``--servers``, see ``SERVERS``: uvicorn with the
websockets-sansio or legacy websockets protocol, one or two worker processes, or daphne; the
production layer, Redis pub/sub, with the per-process fan-out of notifications/fanout.py),
the websocket clients in another subprocess, and this process as the publisher.  Every line
prints the machine's load average; every fan-out line also the CPU each party used per round
(server process tree, clients, publisher), since all three share the machine's cores.

Mode 1 (``--clients``): N clients, each logged in as a different person, connect and sync;
one ``notify()`` call — the real service path: rows in a transaction, push after commit —
sends one notification to each of the N people.  Latency = receipt time − commit time
(taken by an ``on_commit`` callback registered before ``notify``'s own), p50/p99/max over
the N receipts, repeated ``--rounds`` times.  The floor is measured in the same run:
N Redis channels subscribed on one connection (what the pub/sub layer does in a server),
N PUBLISHes, time from the first PUBLISH to each receipt.

Mode 2 (rate): 100 clients; events at a fixed rate, each a ``notify()`` started on schedule
in a worker thread (as concurrent requests would), to one of the 100 people in turn
(``--rate-fanout one``, the default) or to all 100 (``--rate-fanout all``); for each rate
(10, 20, 50, 75, 100, 125, 150, 200, 300 events/s) for
``--seconds``, p99 of all receipts and whether every one arrived.  Stops at the first rate
whose p99 exceeds 100 ms or that loses a message, and prints the highest rate held.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RATES = [10, 20, 50, 75, 100, 125, 150, 200, 300]


def raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def summary(latencies_s: list[float]) -> dict[str, float]:
    ms = [v * 1000 for v in latencies_s]
    return {
        "n": len(ms),
        "p50": statistics.median(ms) if ms else float("nan"),
        "p99": percentile(ms, 99),
        "max": max(ms) if ms else float("nan"),
    }


# --- the client worker (a subprocess) --------------------------------------------------------


async def client_worker(port: int, sessions: list[str], expect: int, timeout: float) -> None:
    from websockets.asyncio.client import connect

    received: list[tuple[int, float]] = []
    done = asyncio.Event()
    sockets = []
    sem = asyncio.Semaphore(50)

    async def open_one(session: str) -> Any:
        for attempt in range(5):
            try:
                return await _open(session)
            except (OSError, AssertionError, Exception):  # noqa: B014 - retried, then raised
                if attempt == 4:
                    raise
                await asyncio.sleep(1 + attempt)
        raise RuntimeError("unreachable")

    async def _open(session: str) -> Any:
        async with sem:
            ws = await connect(
                f"ws://127.0.0.1:{port}/ws/notifications/",
                origin=f"http://127.0.0.1:{port}",
                additional_headers={"Cookie": f"sessionid={session}"},
                open_timeout=60,
                max_queue=None,
                # Browsers offer permessage-deflate; the bench's clients do with --deflate.
                compression="deflate" if os.environ.get("BENCH_DEFLATE") == "1" else None,
            )
            await ws.send('{"type":"hello","last_id":null}')
            msg = json.loads(await ws.recv())
            assert msg["type"] == "synced", msg
            return ws

    sockets = await asyncio.gather(*(open_one(s) for s in sessions))

    async def reader(ws: Any) -> None:
        try:
            async for raw in ws:
                now = time.time()
                msg = json.loads(raw)
                if msg.get("type") == "notification":
                    received.append((msg["notification"]["id"], now))
                    if expect and len(received) >= expect:
                        done.set()
        except Exception:  # noqa: BLE001 - a closed socket ends its reader
            return

    tasks = [asyncio.create_task(reader(ws)) for ws in sockets]
    sys.stdout.write("READY\n")
    sys.stdout.flush()
    cpu_start = time.process_time()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_reader(sys.stdin.fileno(), stop.set)
    await stop.wait()  # the publisher says it has finished
    if expect:
        try:
            await asyncio.wait_for(done.wait(), timeout)
        except TimeoutError:
            pass
    else:
        await asyncio.sleep(timeout)
    cpu = time.process_time() - cpu_start
    for task in tasks:
        task.cancel()
    sys.stdout.write(json.dumps({"received": received, "cpu": cpu}) + "\n")
    sys.stdout.flush()
    os._exit(0)  # skip closing 1000 sockets politely


# --- setup -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup_django(data_dir: str, redis_url: str, prefix: str) -> dict[str, str]:
    env = {
        "FTU_DATA_DIR": data_dir,
        "REDIS_URL": redis_url,
        "FTU_CHANNEL_PREFIX": prefix,
        "FTU_EMBEDDED_TICK": "0",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "AXES_ENABLED": "0",
        "DJANGO_SETTINGS_MODULE": "ftu.settings",
    }
    os.environ.update(env)
    os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return env


def make_people(count: int) -> tuple[list[Any], list[str]]:
    """``count`` people with an active membership and a logged-in session each."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.cached_db import SessionStore

    from agencies.models import Membership, Organisation, User
    from ftu.roles import OrgKind

    org, _ = Organisation.objects.get_or_create(
        name="Bench NGO", defaults={"kind": OrgKind.NGO, "district": "Meerut"}
    )
    existing = list(User.objects.filter(email__endswith="@bench.invalid").order_by("id"))
    if len(existing) < count:
        new = [
            User(email=f"p{i}@bench.invalid", full_name=f"Bench {i}", preferred_language="en")
            for i in range(len(existing), count)
        ]
        for u in new:
            u.set_unusable_password()
        User.objects.bulk_create(new)
        existing = list(User.objects.filter(email__endswith="@bench.invalid").order_by("id"))
        Membership.objects.bulk_create(
            [Membership(user=u, organisation=org) for u in existing], ignore_conflicts=True
        )
        # NGO members must use a second factor before the socket lets them in (R-MFA):
        # give each an authenticator, as the enrolment page would.
        from allauth.mfa.adapter import get_adapter
        from allauth.mfa.models import Authenticator
        from allauth.mfa.totp.internal.auth import generate_totp_secret

        secret = get_adapter().encrypt(generate_totp_secret())
        Authenticator.objects.bulk_create(
            [
                Authenticator(user=u, type=Authenticator.Type.TOTP, data={"secret": secret})
                for u in existing
            ],
            ignore_conflicts=True,
        )
    people = existing[:count]
    sessions = []
    now = int(time.time())
    for u in people:
        store = SessionStore()
        store[SESSION_KEY] = str(u.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = u.get_session_auth_hash()
        store["ftu_started"] = now
        store["ftu_seen"] = now
        store.save()
        sessions.append(store.session_key)
    return people, sessions


# The servers the bench knows: uvicorn with each websocket protocol implementation, one or
# two worker processes (the production unit's FTU_WS_WORKERS), and daphne.
UVICORN = [
    "-m",
    "uvicorn",
    "ftu.asgi:application",
    "--host",
    "127.0.0.1",
    "--loop",
    "uvloop",
    "--http",
    "httptools",
    "--log-level",
    "warning",
    "--no-access-log",
    "--lifespan",
    "off",
]
# As deploy/systemd/ftu-ws.service: no permessage-deflate (``uvicorn-deflate`` measures it).
NO_DEFLATE = ["--ws-per-message-deflate", "false"]
SERVERS = {
    "uvicorn": [*UVICORN, "--ws", "websockets-sansio", *NO_DEFLATE],
    "uvicorn2": [*UVICORN, "--ws", "websockets-sansio", "--workers", "2", *NO_DEFLATE],
    "uvicorn-legacy": [*UVICORN, "--ws", "websockets", *NO_DEFLATE],
    "uvicorn-deflate": [*UVICORN, "--ws", "websockets-sansio"],
    "daphne": ["-m", "daphne", "-v", "0", "-b", "127.0.0.1", "ftu.asgi:application"],
}


def start_server(kind: str, port: int, env: dict[str, str]) -> subprocess.Popen:
    cmd = [sys.executable, *SERVERS[kind]]
    if kind == "daphne":
        cmd[-1:-1] = ["-p", str(port)]
    else:
        cmd += ["--port", str(port)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env})  # noqa: S603
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):  # noqa: S310
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"{kind} did not start")


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its descendants."""
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, IndexError, ValueError):
            continue
    return total


def load() -> str:
    return "load {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


class Clients:
    def __init__(self, port: int, sessions: list[str], expect: int, timeout: float) -> None:
        fd, path = tempfile.mkstemp(suffix=".json")
        with os.fdopen(fd, "w") as fh:
            json.dump(sessions, fh)
        self.proc = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                __file__,
                "--client-worker",
                str(port),
                path,
                str(expect),
                str(timeout),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline()
        os.unlink(path)
        if line.strip() != "READY":
            raise RuntimeError(f"clients failed to connect: {line!r}")

    def finish(self) -> list[tuple[int, float]]:
        """The receipts; ``self.cpu``: the clients' own CPU seconds since they were ready."""
        self.proc.stdin.write("done\n")
        self.proc.stdin.flush()
        out = json.loads(self.proc.stdout.readline())
        self.proc.wait(timeout=60)
        self.cpu = float(out["cpu"])
        return [(int(i), float(t)) for i, t in out["received"]]


# --- publishing through the real service path --------------------------------------------------


def publish(people: list[Any]) -> tuple[float, list[int]]:
    """One ``notify()`` to every person; returns (commit time, notification ids)."""
    from django.db import transaction

    from notifications.services import notify

    stamp: list[float] = []
    with transaction.atomic():
        # Registered first, so it runs right after COMMIT and before notify's push.
        transaction.on_commit(lambda: stamp.append(time.time()))
        rows = notify(
            recipients=people,
            kind="notifications.test",
            title="Bench FTU-2026-0000",
            url="/notifications/",
        )
    return stamp[0], [r.id for r in rows]


# --- the raw floor ------------------------------------------------------------------------------


async def raw_floor(redis_url: str, n: int, rounds: int) -> list[float]:
    import redis.asyncio as aioredis

    sub = aioredis.from_url(redis_url)
    pub = aioredis.from_url(redis_url)
    pubsub = sub.pubsub()
    token = secrets.token_hex(4)
    channels = [f"floor.{token}.{i}" for i in range(n)]
    for i in range(0, n, 500):
        await pubsub.subscribe(*channels[i : i + 500])
    # drain subscribe confirmations
    confirmed = 0
    while confirmed < n:
        msg = await pubsub.get_message(timeout=5)
        if msg and msg["type"] == "subscribe":
            confirmed += 1
    latencies: list[float] = []
    for _ in range(rounds):
        got = 0
        start = time.time()
        await pub.ping()

        async def produce(start: float = start) -> None:
            # One pipelined burst: the cheapest way Redis can be asked to fan out N messages.
            pipe = pub.pipeline(transaction=False)
            for ch in channels:
                pipe.publish(ch, b"x")
            await pipe.execute()

        producer = asyncio.create_task(produce())
        while got < n:
            msg = await pubsub.get_message(timeout=5)
            if msg is None:
                break
            if msg["type"] == "message":
                latencies.append(time.time() - start)
                got += 1
        await producer
        await asyncio.sleep(0.05)
    await pubsub.aclose()
    await sub.aclose()
    await pub.aclose()
    return latencies


# --- the modes -----------------------------------------------------------------------------------


async def apublish(people: list[Any]) -> tuple[float, list[int]]:
    """``publish`` as a view runs under an ASGI server: in a worker thread, with the push
    hopping back to the long-lived event loop (and its open Redis connection)."""
    from asgiref.sync import sync_to_async

    return await sync_to_async(publish, thread_sensitive=True)(people)


async def afanout(n: int, people: list, rounds: int) -> dict[int, float]:
    commits: dict[int, float] = {}
    await apublish(people[:1])  # warm the loop's Redis connection (not measured)
    await asyncio.sleep(0.5)
    for _ in range(rounds):
        t_commit, ids = await apublish(people[:n])
        commits.update(dict.fromkeys(ids, t_commit))
        # (the warm-up notification is excluded: not in ``commits``)
        await asyncio.sleep(max(0.2, n / 2000))
    return commits


def fanout(
    server: str,
    proc: subprocess.Popen,
    port: int,
    people: list,
    sessions: list,
    n: int,
    rounds: int,
) -> dict:
    connect_start = time.perf_counter()
    clients = Clients(port, sessions[:n], expect=n * rounds + 1, timeout=30)
    connect_s = time.perf_counter() - connect_start
    server_cpu, own_cpu, loadavg = tree_cpu(proc.pid), time.process_time(), load()
    commits = asyncio.run(afanout(n, people, rounds))
    own_cpu = time.process_time() - own_cpu
    server_cpu = tree_cpu(proc.pid) - server_cpu
    received = clients.finish()
    latencies = [t - commits[i] for i, t in received if i in commits]
    result = summary(latencies)
    result["lost"] = len(commits) - len({i for i, _ in received if i in commits})
    # CPU per round (ms): where the two cores went while the N notifications travelled.
    result["cpu_ms"] = {
        "server": round(server_cpu / rounds * 1000, 1),
        "clients": round(clients.cpu / rounds * 1000, 1),
        "publisher": round(own_cpu / rounds * 1000, 1),
    }
    result["connect_s"] = round(connect_s, 1)
    result["load"] = loadavg
    return result


async def arate(
    rate: int, events: int, people: list, fanout_all: bool
) -> tuple[dict[int, float], float]:
    """Events on a fixed schedule, each started on time in a worker thread (as concurrent
    requests would be), not after the previous one finished."""
    from asgiref.sync import sync_to_async

    commits: dict[int, float] = {}
    interval = 1 / rate
    start = time.perf_counter()
    tasks = []
    for k in range(events):
        delay = start + k * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        recipients = people if fanout_all else [people[k % len(people)]]
        tasks.append(
            asyncio.create_task(sync_to_async(publish, thread_sensitive=False)(recipients))
        )
    for t_commit, ids in await asyncio.gather(*tasks):
        commits.update(dict.fromkeys(ids, t_commit))
    return commits, time.perf_counter() - start


def rate_mode(
    server: str, port: int, people: list, sessions: list, seconds: float, fanout_all: bool
) -> list[dict]:
    results = []
    clients_n = 100
    for rate in RATES:
        events = int(rate * seconds)
        per_event = clients_n if fanout_all else 1
        clients = Clients(port, sessions[:clients_n], expect=events * per_event, timeout=10)
        commits, elapsed = asyncio.run(arate(rate, events, people[:clients_n], fanout_all))
        received = clients.finish()
        latencies = [t - commits[i] for i, t in received if i in commits]
        row = summary(latencies)
        row.update(
            rate=rate,
            achieved=round(events / elapsed, 1),
            lost=len(commits) - len({i for i, _ in received if i in commits}),
        )
        results.append(row)
        print(
            f"  {server:8s} rate {rate:4d}/s (achieved {row['achieved']:6.1f}/s) "
            f"{'each to all 100' if fanout_all else 'spread over 100'} sockets: "
            f"p50 {row['p50']:7.1f} ms  p99 {row['p99']:7.1f} ms  max {row['max']:7.1f} ms  "
            f"lost {row['lost']}  | {load()}",
            flush=True,
        )
        if row["p99"] > 100 or row["lost"] or row["achieved"] < rate * 0.95:
            break
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--servers",
        default="uvicorn,uvicorn2",
        help=f"comma-separated, from: {', '.join(SERVERS)}",
    )
    parser.add_argument("--clients", default="1,100,1000")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=4.0, help="per rate step")
    parser.add_argument("--no-rate", action="store_true")
    parser.add_argument(
        "--deflate",
        action="store_true",
        help="clients offer permessage-deflate, as browsers do (the servers here accept it "
        "only where their command line does not turn it off)",
    )
    parser.add_argument(
        "--rate-fanout",
        choices=["one", "all"],
        default="one",
        help="each event to one of the 100 people (round robin) or to all 100",
    )
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    args = parser.parse_args()
    raise_nofile()
    if args.deflate:
        os.environ["BENCH_DEFLATE"] = "1"  # read by the client subprocess
    sizes = [int(x) for x in args.clients.split(",") if x]
    tmp = tempfile.mkdtemp(prefix="ftu-bench-")
    prefix = f"bench{secrets.token_hex(3)}"
    env = setup_django(tmp, args.redis, prefix)
    people, sessions = make_people(max([*sizes, 100]))
    print(f"FTU Hub notification bench · {os.cpu_count()} cores · Redis {args.redis} · {tmp}")

    floors = {}
    for n in sizes:
        floors[n] = summary(asyncio.run(raw_floor(args.redis, n, args.rounds)))
        f = floors[n]
        print(
            f"  floor   raw PUBLISH→SUBSCRIBE ×{n:5d}: p50 {f['p50']:7.2f} ms  "
            f"p99 {f['p99']:7.2f} ms  max {f['max']:7.2f} ms  | {load()}",
            flush=True,
        )
    report: dict[str, Any] = {"floor": floors, "servers": {}}
    for server in [s for s in args.servers.split(",") if s]:
        port = free_port()
        proc = start_server(server, port, env)
        try:
            per: dict[str, Any] = {"fanout": {}, "rate": []}
            for n in sizes:
                r = fanout(server, proc, port, people, sessions, n, args.rounds)
                per["fanout"][n] = r
                ratio = r["p99"] / floors[n]["p99"] if floors[n]["p99"] else float("nan")
                cpu = r["cpu_ms"]
                print(
                    f"  {server:8s} notify()→socket ×{n:5d}: p50 {r['p50']:7.2f} ms  "
                    f"p99 {r['p99']:7.2f} ms  max {r['max']:7.2f} ms  lost {r['lost']}  "
                    f"p99/floor {ratio:5.1f}×  | cpu/round ms: server {cpu['server']} "
                    f"clients {cpu['clients']} publisher {cpu['publisher']} | "
                    f"connected in {r['connect_s']} s | {r['load']}",
                    flush=True,
                )
            if not args.no_rate:
                # A fresh server: the 1000 sockets just dropped are still being cleaned up.
                proc.terminate()
                proc.wait(timeout=30)
                port = free_port()
                proc = start_server(server, port, env)
                per["rate"] = rate_mode(
                    server, port, people, sessions, args.seconds, args.rate_fanout == "all"
                )
                held = [
                    r["rate"]
                    for r in per["rate"]
                    if r["p99"] <= 100 and not r["lost"] and r["achieved"] >= r["rate"] * 0.95
                ]
                print(
                    f"  {server:8s} highest rate held to 100 sockets with p99 ≤ 100 ms: "
                    f"{max(held) if held else 0} events/s",
                    flush=True,
                )
            report["servers"][server] = per
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    out = Path(tmp) / "report.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"report: {out}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--client-worker":
        raise_nofile()
        _port, _path, _expect, _timeout = sys.argv[2:6]
        with open(_path) as fh:
            _sessions = json.load(fh)
        try:
            import uvloop

            uvloop.install()
        except ImportError:
            pass
        asyncio.run(client_worker(int(_port), _sessions, int(_expect), float(_timeout)))
    else:
        threading.current_thread().name = "bench"
        main()
