"""The soak test's verdict and table (``benchmarks/soak.py``): latency percentiles per request type,
failures by status, throughput, the web workers' memory and its slope, the import's progress."""

from __future__ import annotations

import math
from collections import Counter

# Memory is "flat" when no worker grows faster than the threshold over this last stretch of the
# run, after this warm-up (vocabularies, the gazetteer's per-country indexes and the facet cache
# fill during the first minute or two).
SLOPE_WINDOW_S = 480
WARM_UP_S = 60


def summarize(result: dict) -> dict:
    requests = result["requests"]
    every = [t for sample in requests.values() for t in sample["times_ms"]]
    per_type = {
        name: latency(sample["times_ms"]) | {"statuses": sample["statuses"]} for name, sample in requests.items()
    }
    statuses = Counter()
    for sample in requests.values():
        statuses.update({code: n for code, n in sample["statuses"].items()})
    # Status 0: no answer at all (refused, reset, timed out), a server failure as much as a 5xx.
    server_errors = sum(n for code, n in statuses.items() if int(code) >= 500 or int(code) == 0)
    memory = worker_memory(result)
    threshold = result["config"]["max_slope_mb_per_min"]
    flat = all(w["slope_mb_per_min"] is not None and w["slope_mb_per_min"] < threshold for w in memory["workers"])
    loads = [s["load"][0] for s in result["samples"]]
    passes, before, after = result["imports"], result["catalogue"]["before"], result["catalogue"]["after"]
    written = sum(p["outcomes"].get("created", 0) + p["outcomes"].get("updated", 0) for p in passes)
    return {
        "requests": len(every),
        "statuses": dict(sorted(statuses.items())),
        "server_errors": server_errors,
        "throughput_rps": round(len(every) / result["elapsed_s"], 2),
        "overall": latency(every),
        "per_type": dict(sorted(per_type.items())),
        "memory": memory,
        "memory_flat": flat,
        "load_average": {"mean_1min": round(sum(loads) / len(loads), 2), "max_1min": max(loads)} if loads else {},
        "import": {
            "passes": len(passes),
            "records": sum(sum(p["outcomes"].values()) for p in passes),
            "records_written": written,
            "new_trials": after["trials"] - before["trials"],
            "catalogue_versions_moved": result["catalogue"]["after"]["version"]
            - result["catalogue"]["before"]["version"],
            "max_rss_mb": max((s["import_mb"] for s in result["samples"] if s["import_mb"]), default=None),
        },
        "passed": result["locust_exit"] in (0, 1) and bool(every) and server_errors == 0 and flat,
    }


def latency(times: list[float]) -> dict:
    if not times:
        return {"count": 0}
    ordered = sorted(times)
    return {
        "count": len(ordered),
        "p50_ms": percentile(ordered, 50),
        "p95_ms": percentile(ordered, 95),
        "p99_ms": percentile(ordered, 99),
        "max_ms": ordered[-1],
    }


def percentile(ordered: list[float], p: float) -> float:
    """Nearest rank: the smallest value at or below which p% of the values lie."""
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def worker_memory(result: dict) -> dict:
    """Per worker (by pid; a restarted worker shows as a new pid): RSS before load, one minute into
    the load, at the end and at most, and the least-squares slope over the last stretch."""
    load_start, end = result["load_start_t"], result["load_end_t"]
    samples = [s for s in result["samples"] if s["t"] <= end + 5]
    window_start = max(load_start + min(WARM_UP_S, (end - load_start) / 3), end - SLOPE_WINDOW_S)
    pids = sorted({pid for s in samples for pid in s["workers_mb"]}, key=int)
    workers = []
    for pid in pids:
        series = [(s["t"], s["workers_mb"][pid]) for s in samples if s["workers_mb"].get(pid) is not None]
        minute = min(series, key=lambda point: abs(point[0] - load_start - 60))
        workers.append({
            "pid": int(pid),
            "start_mb": series[0][1],
            "after_1min_mb": minute[1],
            "end_mb": series[-1][1],
            "max_mb": max(mb for _, mb in series),
            "slope_mb_per_min": slope([(t, mb) for t, mb in series if t >= window_start]),
            # Not part of the verdict: tells a late step (a high-water mark) from a steady climb.
            "slope_last_5min": slope([(t, mb) for t, mb in series if t >= end - 300]),
        })  # fmt: skip
    masters = [s["master_mb"] for s in samples if s["master_mb"] is not None]
    return {
        "window_s": [round(window_start, 1), end],
        "workers": workers,
        "master_mb": {"start": masters[0], "end": masters[-1], "max": max(masters)} if masters else {},
    }


def slope(points: list[tuple[float, float]]) -> float | None:
    """MB per minute, least squares over (seconds, MB) points."""
    if len(points) < 3:
        return None
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_mb = sum(mb for _, mb in points) / n
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    return round(sum((t - mean_t) * (mb - mean_mb) for t, mb in points) / spread * 60, 2) if spread else None


def print_report(result: dict) -> None:
    summary, config = result["summary"], result["config"]
    print(
        f"\nsoak: {config['users']} users for {config['duration_s']} s against gunicorn ({config['workers']} workers x "
        f"{config['threads']} threads); catalogue {result['catalogue']['before']['trials']:,} -> "
        f"{result['catalogue']['after']['trials']:,} trials; load average 1 min: "
        f"mean {summary['load_average'].get('mean_1min')}, max {summary['load_average'].get('max_1min')}\n"
    )
    print(f"{'request':<28} {'count':>7} {'5xx/none':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    rows = [*summary["per_type"].items(), ("ALL", summary["overall"] | {"statuses": summary["statuses"]})]
    for name, row in rows:
        bad = sum(n for code, n in row["statuses"].items() if int(code) >= 500 or int(code) == 0)
        print(
            f"{name:<28} {row['count']:>7} {bad:>8} {row['p50_ms']:>8.0f} {row['p95_ms']:>8.0f} "
            f"{row['p99_ms']:>8.0f} {row['max_ms']:>8.0f}"
        )
    print(f"\nthroughput {summary['throughput_rps']} requests/s; statuses {summary['statuses']}")
    print(f"requests served by each worker (server log): {result['served_by_worker']}")
    for error in result["errors"][:10]:
        print(f"  {error['status']} {error['name']}: {error['url']} {error['error']} {error['body'][:200]!r}")
    memory = summary["memory"]
    print(f"\nworker RSS MB (slope over t={memory['window_s'][0]}..{memory['window_s'][1]} s of the sampler's clock)")
    print(f"{'pid':>8} {'start':>8} {'1 min':>8} {'end':>8} {'max':>8} {'MB/min':>8} {'last 5':>8}")
    for w in memory["workers"]:
        print(
            f"{w['pid']:>8} {w['start_mb']:>8} {w['after_1min_mb']:>8} {w['end_mb']:>8} {w['max_mb']:>8} "
            f"{w['slope_mb_per_min']!s:>8} {w['slope_last_5min']!s:>8}"
        )
    print(f"master: {memory['master_mb']}")
    imported, flat = summary["import"], "flat" if summary["memory_flat"] else "NOT flat"
    print(
        f"\nimport: {imported['passes']} pass(es), {imported['records']:,} records read, "
        f"{imported['records_written']:,} written, {imported['new_trials']:,} new trials, "
        f"catalogue version +{imported['catalogue_versions_moved']}, "
        f"max RSS {imported['max_rss_mb']} MB"
    )
    verdict = "PASS" if summary["passed"] else "FAIL"
    print(
        f"\n{verdict}: {summary['server_errors']} 5xx or unanswered; memory "
        f"{flat} (threshold {config['max_slope_mb_per_min']} MB/min a worker)"
    )
