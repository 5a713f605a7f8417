"""Datasette side by side: the portal's search page and Datasette's table page over a SQLite export
of the same catalogue, timed over HTTP on the same query mix (``QUERIES`` of search_pages.py) in
one run, and the ratio of our timings to Datasette's.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/datasette_10k
    .venv/bin/python benchmarks/datasette_export.py              # -> var/datasette/catalogue.db
    .venv/bin/python benchmarks/datasette_compare.py [--runs 10] [--rounds 2] [--ours memory sql cached]

Servers, all started here on free ports and stopped at the end:
- Datasette (``datasette serve -i``, as ``datasette publish`` runs it) with long SQL and facet time
  limits, 4 SQL threads, no facet suggestions (the portal suggests none), the 13 facets of the
  search page asked for in each URL (``benchmarks/datasette_urls.py`` translates the queries);
- the portal under gunicorn as the Dockerfile runs it (2 gthread workers x 4 threads), rate
  limits off, in up to three variants (``--ours``): ``memory``, the in-memory search engine with the
  facet and page caches off (``FACET_CACHE_SECONDS=0 PAGE_CACHE_SECONDS=0``: every request counts
  and renders, as Datasette does); ``sql``,
  PostgreSQL alone (``SEARCH_ENGINE=postgresql``), cache off; ``cached``, the memory engine with
  the facet and page caches on in Redis, as deployed (after the warm-up, answers are cache hits). A memory
  variant is timed only once both workers have loaded their snapshot (its load time is printed).

Concurrency 1: each query is requested once per server to warm up, then ``--runs`` times, the
servers taking turns request by request, so background load on the machine falls on all alike.
Concurrency 4: 4 clients each walk the whole mix ``--rounds`` times against one server at a time;
requests/s and errors (no answer or not 200). Markdown tables go to stdout.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests
from datasette_export import DEFAULT_OUT
from datasette_urls import translate
from search_pages import QUERIES, _p
from soak import SERVER_ENV, free_port

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
REDIS_DB_URL = "redis://127.0.0.1:6379/11"  # a Redis database of this benchmark's own
WORKERS = 2  # the Dockerfile's
# The portal's variants: a name in the tables, and the settings that make it.
OURS = {
    "memory": ("ours", {"SEARCH_ENGINE": "memory", "FACET_CACHE_SECONDS": "0", "PAGE_CACHE_SECONDS": "0"}),
    "sql": ("ours, SQL only", {"SEARCH_ENGINE": "postgresql", "FACET_CACHE_SECONDS": "0", "PAGE_CACHE_SECONDS": "0"}),
    "cached": ("ours, cache on", {"SEARCH_ENGINE": "memory", "REDIS_URL": REDIS_DB_URL}),
}
SNAPSHOT_LOADED = re.compile(r"search snapshot v\d+: .* loaded in ([\d.]+) s")
DATASETTE_SETTINGS = {
    "facet_time_limit_ms": 100000,
    "sql_time_limit_ms": 100000,
    "default_facet_size": 10,
    "max_returned_rows": 1000,
    "num_sql_threads": 4,
    "suggest_facets": "off",
}


@dataclass
class Server:
    name: str
    command: list[str]
    env: dict[str, str]
    ready_path: str
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    log_path: Path | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, log_dir: Path) -> None:
        self.log_path = log_dir / f"{self.name.replace(',', '').replace(' ', '-').lower()}-{self.port}.log"
        log = open(self.log_path, "w")  # noqa: SIM115
        command = [part.replace("{port}", str(self.port)) for part in self.command]
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def wait(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if requests.get(self.base + self.ready_path, timeout=30).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"{self.name} did not start; see var/datasette/*.log")
            time.sleep(0.5)

    def wait_for_snapshots(self, timeout: float = 1800) -> list[float]:
        """Search until every worker has loaded its in-memory snapshot (each loads on its first
        search, in the background); the load times its log gives."""
        deadline = time.monotonic() + timeout
        while len(loaded := SNAPSHOT_LOADED.findall(self.log_path.read_text())) < WORKERS:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name}: the snapshots did not load; see {self.log_path}")
            with ThreadPoolExecutor(2 * WORKERS) as pool:  # fresh connections, so both workers get one
                list(pool.map(lambda _: requests.get(self.base + "/", timeout=600), range(2 * WORKERS)))
            time.sleep(1)
        return [float(seconds) for seconds in loaded]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)


@dataclass
class Query:
    name: str
    ours: str  # path and query of the search page
    theirs: str  # path and query of Datasette's table page
    notes: list[str]
    counts: dict[str, int | str] = field(default_factory=dict)
    times: dict[str, list[float]] = field(default_factory=dict)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=DEFAULT_OUT, help="the export (datasette_export.py)")
    parser.add_argument("--runs", type=int, default=10, help="timed requests per query and server at concurrency 1")
    parser.add_argument(
        "--rounds", type=int, default=2, help="passes over the mix per client at concurrency 4 (0: none)"
    )
    parser.add_argument("--queries", nargs="+", metavar="NAME", help="only these queries of the mix ('deep page' ...)")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--ours", nargs="+", choices=OURS, default=list(OURS), help="the portal's variants to time")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL") or not args.db.exists():
        sys.exit("Set DATABASE_URL to the catalogue and export it first with datasette_export.py (see --help).")
    env = {**os.environ, **SERVER_ENV}
    os.environ.update(SERVER_ENV)
    subprocess.run(
        [str(BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    total, queries = build_mix(args.db)
    queries = [query for query in queries if not args.queries or query.name in args.queries]
    servers = make_servers(args, env)
    log_dir = args.db.parent
    try:
        for server in servers:
            server.start(log_dir)
        for server in servers:
            server.wait()
        loads = {s.name: s.wait_for_snapshots() for s in servers if s.env.get("SEARCH_ENGINE") == "memory"}
        count_results(queries, servers)
        time_sequential(queries, servers, args.runs)
        throughput = {server.name: time_concurrent(queries, server, args) for server in servers if args.rounds}
    finally:
        for server in servers:
            server.stop()
    report(total, queries, servers, throughput, args)
    print("\nIn-memory snapshots:" if loads else "")
    for name, seconds in loads.items():
        print(f"- {name}: each worker's in-memory snapshot loaded in {', '.join(f'{s:.1f}' for s in seconds)} s")


def build_mix(db_path: Path) -> tuple[int, list[Query]]:
    """The query mix for both sides; the deep page as search_pages.py picks it."""
    import django

    django.setup()
    from django.conf import settings

    from trials.models import Trial
    from trials.near import place_index

    total = Trial.objects.count()
    deep = max(1, total // settings.TRIALS_PAGE_SIZE - 1)

    def find_place(text):
        point = place_index().find(text)
        return point and (point.latitude, point.longitude)

    queries = []
    for name, query in QUERIES:
        query = query.format(deep=deep)
        translation = translate(query, db_path, find_place)
        queries.append(Query(name, f"/?{query}" if query else "/", translation.path(), translation.notes))
    return total, queries


def make_servers(args, env: dict[str, str]) -> list[Server]:
    settings = [part for name, value in DATASETTE_SETTINGS.items() for part in ("--setting", name, str(value))]
    datasette = [str(BIN / "datasette"), "serve", "-i", str(args.db), "--host", "127.0.0.1", "--port", "{port}"]
    gunicorn = [
        str(BIN / "gunicorn"), "portal.wsgi", "--bind", "127.0.0.1:{port}",
        "--workers", "2", "--worker-class", "gthread", "--threads", "4", "--timeout", "300",
    ]  # fmt: skip
    servers = [Server("Datasette", datasette + settings, env, f"/{args.db.stem}/trials.json?_size=1")]
    for variant in args.ours:
        name, variant_env = OURS[variant]
        servers.append(Server(name, gunicorn, {**env, **variant_env}, "/api/trials/?page_size=1"))
    return servers


def count_results(queries: list[Query], servers: list[Server]) -> None:
    """How many trials each side finds (the portal's API, Datasette's JSON), to show that the
    questions are the same, and which Datasette facets timed out."""
    for query in queries:
        for server in servers:
            if server.name == "Datasette":
                data = requests.get(server.base + query.theirs.replace("/trials?", "/trials.json?"), timeout=600).json()
                if "filtered_table_rows_count" not in data:  # an error page: say so, keep timing the rest
                    query.counts[server.name] = "error"
                    query.notes.append(f"Datasette answered: {str(data.get('error', data))[:200]}")
                    continue
                query.counts[server.name] = data["filtered_table_rows_count"]
                if data.get("facets_timed_out"):
                    query.notes.append(f"Datasette facets timed out: {', '.join(data['facets_timed_out'])}")
            else:
                api = query.ours.replace("/?", "/api/trials/?", 1) if "?" in query.ours else "/api/trials/"
                query.counts[server.name] = requests.get(server.base + api, timeout=600).json()["count"]


def path_for(query: Query, server: Server) -> str:
    return query.theirs if server.name == "Datasette" else query.ours


def time_sequential(queries: list[Query], servers: list[Server], runs: int) -> None:
    sessions = {server.name: requests.Session() for server in servers}
    for query in queries:
        for server in servers:
            response = sessions[server.name].get(server.base + path_for(query, server), timeout=600)
            response.raise_for_status()
            query.times[server.name] = []
        for _ in range(runs):
            for server in servers:
                started = time.perf_counter()
                sessions[server.name].get(server.base + path_for(query, server), timeout=600).content  # noqa: B018
                query.times[server.name].append((time.perf_counter() - started) * 1000)


def time_concurrent(queries: list[Query], server: Server, args) -> dict:
    """``args.concurrency`` clients, each walking the mix ``args.rounds`` times from its own start."""

    def client(start: int) -> tuple[int, int]:
        session, done, errors = requests.Session(), 0, 0
        for step in range(args.rounds * len(queries)):
            query = queries[(start + step) % len(queries)]
            try:
                response = session.get(server.base + path_for(query, server), timeout=600)
                errors += response.status_code != 200
            except requests.RequestException:
                errors += 1
            done += 1
        return done, errors

    started = time.perf_counter()
    with ThreadPoolExecutor(args.concurrency) as pool:
        results = list(pool.map(client, [i * len(queries) // args.concurrency for i in range(args.concurrency)]))
    seconds = time.perf_counter() - started
    done, errors = sum(r[0] for r in results), sum(r[1] for r in results)
    return {"requests": done, "errors": errors, "seconds": seconds, "rps": done / seconds}


def report(total: int, queries: list[Query], servers: list[Server], throughput: dict, args) -> None:
    names = [server.name for server in servers]
    ours = [name for name in names if name != "Datasette"]
    print(f"catalogue: {total:,} trials; concurrency 1: {args.runs} runs per query and server after 1 warm-up\n")
    header = ["query", *(f"trials {n}" for n in names), *(f"{n} p50 / p95 ms" for n in names)]
    header += [f"{n} / Datasette p50" for n in ours]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for query in queries:
        p50 = {name: _p(query.times[name], 50) for name in names}
        cells = [query.name, *(f"{query.counts[n]:,}" for n in names)]
        cells += [f"{p50[n]:.1f} / {_p(query.times[n], 95):.1f}" for n in names]
        cells += [f"{p50[n] / p50['Datasette']:.2f}" for n in ours]
        print("| " + " | ".join(cells) + " |")
    if throughput:
        print_throughput(names, throughput, args)
    print("\nWhat differs in the question asked:")
    for query in queries:
        for note in query.notes:
            print(f"- {query.name}: {note}")
    print("\nDatasette URLs:")
    for query in queries:
        print(f"- {query.name}: `{query.theirs}`")


def print_throughput(names: list[str], throughput: dict, args) -> None:
    print(f"\nconcurrency {args.concurrency}: each client walks the mix {args.rounds} times\n")
    print("| server | requests | errors | seconds | requests/s | time per request, ours / Datasette |")
    print("|---|---|---|---|---|---|")
    for name in names:
        row = throughput[name]
        ratio = "" if name == "Datasette" else f"{throughput['Datasette']['rps'] / row['rps']:.2f}"
        print(f"| {name} | {row['requests']} | {row['errors']} | {row['seconds']:.1f} | {row['rps']:.1f} | {ratio} |")


if __name__ == "__main__":
    main()
