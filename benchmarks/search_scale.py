"""Search at registry scale: the search page and the JSON API served as in production (gunicorn,
2 gthread workers x 4 threads, Redis cache) on the catalogue in DATABASE_URL, over the fixed query
mix of ``search_pages.QUERIES``, with the in-memory engine (or ``--engine postgresql``).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scale600k .venv/bin/python benchmarks/search_scale.py \
        [--runs 20] [--seconds 30] [--check 60]

Phases, each printed as a markdown table:
1. just after start: each query once, the first requests of the workers (each maps a stored snapshot
   as it starts, ``portal.warm_up``; without one, PostgreSQL answers while it is read);
2. snapshots loaded (the log says so), caches emptied: each query once, counted in memory;
3. again: each query ``--runs`` times (answers from the caches as deployed, or with ``--no-cache``
   counted and rendered every time);
4. concurrency 4: 4 clients walk the mix (pages and API alternately) for ``--seconds``;
5. resident memory of each worker; 6. ``--check`` facet counts of the API compared with SQL counts.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import redis
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))
from search_pages import QUERIES  # noqa: E402
from soak import SERVER_ENV, free_port  # noqa: E402

OUT = ROOT / "var" / "search_scale"
REDIS_URL = "redis://127.0.0.1:6379/12"  # this benchmark's own Redis database
LOADED = re.compile(r"search snapshot v\d+: (\d+) trials, (\d+) MB of arrays, loaded in ([\d.]+) s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--check", type=int, default=60, help="facet counts to compare with SQL")
    parser.add_argument("--engine", choices=["memory", "postgresql"], default="memory")
    parser.add_argument(
        "--no-cache", action="store_true", help="facet and page caches off: every request counts and renders"
    )
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    redis.Redis.from_url(REDIS_URL).flushdb()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, **SERVER_ENV, "ALLOWED_HOSTS": "127.0.0.1", "REDIS_URL": REDIS_URL}
    env["SEARCH_ENGINE"] = args.engine
    if args.no_cache:
        env.update(FACET_CACHE_SECONDS="0", PAGE_CACHE_SECONDS="0")
    log_path = OUT / f"gunicorn-{port}.log"
    command = [str(ROOT / ".venv/bin/gunicorn"), "portal.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
    command += ["--worker-class", "gthread", "--threads", "4", "--timeout", "300"]
    with open(log_path, "w") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        started = time.monotonic()
        _wait(base + "/api/trials/?page_size=1")
        caches = "facet and page caches off" if args.no_cache else "facet and page caches on (Redis)"
        print(f"engine: {args.engine}, {caches}; serving after {time.monotonic() - started:.1f} s")
        total = requests.get(base + "/api/trials/?page_size=1", timeout=300).json()["count"]
        mix = _mix(total)
        print(f"catalogue: {total:,} trials\n")
        _table("1. just after start (the workers' first requests)", _once(base, mix))
        if args.engine == "memory":
            print(_wait_for_snapshots(log_path, timeout=900))
        redis.Redis.from_url(REDIS_URL).flushdb()
        _table("2. first request of each search, nothing cached", _once(base, mix))
        _table(f"3. again, {args.runs} runs each", _runs(base, mix, args.runs))
        print(_concurrent(base, mix, args.seconds))
        print(_memory(server.pid))
        if args.check:
            print(_check(base, mix, args.check))
    finally:
        server.terminate()
        server.wait(timeout=60)


def _mix(total: int) -> list[tuple[str, str]]:
    deep = max(1, -(-total // 20) - 1)
    return [(name, query.format(deep=deep)) for name, query in QUERIES]


def _wait(url: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=300).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer")


def _get(base: str, path: str, query: str) -> float:
    started = time.perf_counter()
    response = requests.get(f"{base}{path}?{query}" if query else f"{base}{path}", timeout=300)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{path}?{query}: {response.status_code}")
    return elapsed


def _once(base: str, mix) -> dict[str, tuple[list[float], list[float]]]:
    return {name: ([_get(base, "/", query)], [_get(base, "/api/trials/", query)]) for name, query in mix}


def _runs(base: str, mix, runs: int) -> dict[str, tuple[list[float], list[float]]]:
    times = {name: ([], []) for name, _ in mix}
    for _ in range(runs):
        for name, query in mix:
            times[name][0].append(_get(base, "/", query))
            times[name][1].append(_get(base, "/api/trials/", query))
    return times


def _p(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(percent / 100 * (len(ordered) - 1)))]


def _table(title: str, times: dict) -> None:
    print(f"### {title}\n")
    print("| request | page p50 ms | page p95 ms | API p50 ms | API p95 ms |\n|---|---:|---:|---:|---:|")
    pages, apis = [], []
    for name, (page, api) in times.items():
        pages += page
        apis += api
        print(f"| {name} | {_p(page, 50):.1f} | {_p(page, 95):.1f} | {_p(api, 50):.1f} | {_p(api, 95):.1f} |")
    figures = " | ".join(f"**{_p(values, n):.1f}**" for values in (pages, apis) for n in (50, 95))
    print(f"| **all** | {figures} |\n")


def _wait_for_snapshots(log_path: Path, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = LOADED.findall(log_path.read_text())
        if len(found) >= 2:
            return "snapshots: " + "; ".join(f"{n} trials, {mb} MB, {s} s" for n, mb, s in found) + "\n"
        time.sleep(1)
    raise RuntimeError("the workers did not load their snapshots")


def _concurrent(base: str, mix, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    requests_done, errors, times = 0, 0, []

    def client(offset: int) -> tuple[int, int, list[float]]:
        done, failed, own = 0, 0, []
        index = offset
        while time.monotonic() < deadline:
            _, query = mix[index % len(mix)]
            path = "/" if (index // len(mix)) % 2 == 0 else "/api/trials/"
            try:
                own.append(_get(base, path, query))
            except (RuntimeError, requests.RequestException):
                failed += 1
            done += 1
            index += 1
        return done, failed, own

    started = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        for done, failed, own in pool.map(client, range(0, 4 * 3, 3)):
            requests_done, errors, times = requests_done + done, errors + failed, times + own
    elapsed = time.monotonic() - started
    return (
        f"### 4. concurrency 4, {seconds:.0f} s, pages and API alternately\n\n"
        f"{requests_done:,} requests, {errors} errors, **{requests_done / elapsed:.1f} requests/s**, "
        f"p50 {_p(times, 50):.1f} ms, p95 {_p(times, 95):.1f} ms\n"
    )


def _memory(master: int) -> str:
    children = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
    rows = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024
        peak = int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024
        rows.append(f"worker {pid}: {rss:.0f} MB resident (peak {peak:.0f} MB)")
    return "### 5. memory\n\n" + "; ".join(rows) + "\n"


def _check(base: str, mix, wanted: int) -> str:
    """Facet counts the API gave, each recounted by SQL: the trials matching the search but the
    dimension's own selection, having the value."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.update({k: v for k, v in SERVER_ENV.items() if k not in os.environ})
    import django

    django.setup()
    from urllib.parse import parse_qs

    from trials.engine.snapshot import MULTI, SINGLE
    from trials.filters import ACCEPTED_SEXES, TrialFilterSet
    from trials.models import Trial

    checked, wrong = 0, []
    per_query = max(1, wanted // len(mix))
    for name, query in mix:
        facets = requests.get(f"{base}/api/trials/?{query}", timeout=300).json()["facets"]
        filterset = TrialFilterSet(parse_qs(query))
        values = [(d, v) for d, listed in facets.items() for v in listed[:2] if v["depth"] == 0 or d != "condition"]
        for dimension, value in values[:: max(1, len(values) // per_query)][:per_query]:
            trials = filterset.filter_queryset(Trial.objects.all(), exclude={dimension})
            if dimension in MULTI:
                trials = trials.filter(**{f"{MULTI[dimension]}__contains": [value["value"]]})
            elif dimension == "sex":
                trials = trials.filter(sex__in=ACCEPTED_SEXES[value["value"]])
            else:
                raw = {"true": True, "false": False}.get(value["value"], value["value"])
                trials = trials.filter(**{SINGLE[dimension]: raw})
            expected = trials.order_by().count()
            checked += 1
            if expected != value["count"]:
                wrong.append(f"{name} / {dimension}={value['value']}: API {value['count']}, SQL {expected}")
    return f"### 6. facet counts checked against SQL\n\n{checked} checked, {len(wrong)} wrong\n" + "\n".join(wrong)


if __name__ == "__main__":
    main()
