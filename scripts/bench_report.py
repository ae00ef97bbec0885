#!/usr/bin/env python3
"""Writes BENCHMARKS.md from what `make bench` measured (`make bench` runs this last).

Reads Benchmarks/results/run-*/Current_run.jmh.json (one per run of the benchmarks package, as
`swift package benchmark --format jmh` writes them) and Benchmarks/results/e2e.json (from
scripts/bench_e2e.py); every figure is the median over the runs. Appends Benchmarks/ANALYSIS.md
(what limits the figures that miss their aims, from profiling) when it exists.

usage: bench_report.py --results Benchmarks/results --commands FILE > BENCHMARKS.md
"""
import argparse
import glob
import json
import os
import platform
import re
import statistics
import subprocess
from datetime import datetime, timezone


def machine():
    model = "unknown"
    with open("/proc/cpuinfo") as file:
        for line in file:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as file:
        total_kb = int(next(l for l in file if l.startswith("MemTotal")).split()[1])
    swift = subprocess.run(["swift", "--version"], capture_output=True, text=True).stdout.strip().splitlines()
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "memory": f"{total_kb / 1048576:.1f} GiB",
        "kernel": platform.release(),
        "swift": swift[0] if swift else "unknown",
    }


def load_runs(results):
    """{benchmark name: [per-run dict of metric -> {p50, p99, unit}]}"""
    runs = {}
    for path in sorted(glob.glob(os.path.join(results, "run-*", "*.jmh.json"))):
        with open(path) as file:
            for element in json.load(file):
                name = element["benchmark"].split(".", 3)[3]
                metrics = {"throughput": element["primaryMetric"]}
                metrics.update(element.get("secondaryMetrics", {}))
                runs.setdefault(name, []).append(
                    {k: {"p50": v["scorePercentiles"]["50.0"], "p99": v["scorePercentiles"]["99.0"], "unit": v["scoreUnit"]}
                     for k, v in metrics.items()})
    return runs


def median_of(runs, name, metric, percentile="p50"):
    values = [run[metric][percentile] for run in runs.get(name, []) if metric in run]
    return (statistics.median(values), len(values)) if values else (None, 0)


WALL = "Time (wall clock)"
MALLOC = "Malloc (total)"
UNITS = {"KB": 1 << 10, "MB": 1 << 20}


def fmt(value, digits=1):
    return "n/a" if value is None else f"{value:,.{digits}f}"


def gzip_table(runs, lines):
    lines += ["## gzip: streaming encoder vs raw zlib level 1 (MB/s, higher is better)", "",
              "Input: generated APM ndjson (a mix of transactions and spans, 0.5-1 KB each). Raw zlib is one",
              "`deflateInit2`(level 1, gzip wrapper) + one `deflate(Z_FINISH)` from C, the ceiling. `GzipStream`",
              "is the product's encoder (level 1) as `BatchBuilder` uses it: write, `finish()`, read the output,",
              "`reset()`; either in one write or one write per ndjson line. MB/s = bytes / median wall time of",
              "one iteration; 1 MB = 2^20 bytes.", "",
              "| input | raw zlib | stream, one write | % of raw | stream, per event | % of raw | runs |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    ratios = []
    sizes = sorted({(m.group(1), m.group(2), int(m.group(3))) for n in runs
                    for m in [re.match(r"gzip_raw_zlib_level_1_(\d+)_(KB|MB)_x(\d+)", n)] if m},
                   key=lambda s: int(s[0]) * UNITS[s[1]])
    for number, unit, repeats in sizes:
        suffix = f"{number}_{unit}_x{repeats}"
        total = int(number) * UNITS[unit] * repeats
        speeds = {}
        count = 0
        for variant in ["raw_zlib_level_1", "stream_one_write", "stream_per_event"]:
            wall_us, count = median_of(runs, f"gzip_{variant}_{suffix}", WALL)
            speeds[variant] = None if not wall_us else total / (1 << 20) / (wall_us / 1e6)
        raw = speeds["raw_zlib_level_1"]
        one = speeds["stream_one_write"]
        per = speeds["stream_per_event"]
        pct = lambda v: None if v is None or not raw else 100 * v / raw
        ratios.append((f"{number} {unit}", pct(one), pct(per)))
        lines.append(f"| {number} {unit} | {fmt(raw)} | {fmt(one)} | {fmt(pct(one), 1)} % | {fmt(per)} | {fmt(pct(per), 1)} % | {count} |")
    lines.append("")
    return ratios


def http_table(runs, lines):
    lines += ["## HTTP: requests to a local APM Server sink (lambda-sim's `APMServerSink`)", "",
              "One `HTTPClient` (libcurl), one request at a time: `POST /intake/v2/events` with a 1 KB gzip body",
              "(metadata + 8 events), answered 202 after the sink inflates and parses it. \"New connection\" sends",
              "`Connection: close`, so every request connects (and handshakes) again; the benchmark checks that no",
              "connection was reused. TLS: ECDSA P-256 self-signed certificate, verified by the client.", "",
              "libcurl's own timings split the p50: TLS handshake done and first response byte, from the start.", "",
              "| transport | connection | requests/s | latency p50 | latency p99 | handshake done (p50) | first byte (p50) | runs |",
              "|---|---|---:|---:|---:|---:|---:|---:|"]
    for tls in ["plain", "tls"]:
        for connection, label in [("kept-alive_connection", "one kept-alive"), ("new_connection_per_request", "new per request")]:
            name = f"http_{tls}_{connection}"
            rps, count = median_of(runs, name, "throughput")
            p50, _ = median_of(runs, name, WALL, "p50")
            p99, _ = median_of(runs, name, WALL, "p99")
            handshake, _ = median_of(runs, name, "tls handshake us")
            first, _ = median_of(runs, name, "first byte us")
            lines.append(f"| {tls.upper() if tls == 'tls' else tls} | {label} | {fmt(rps, 0)} | {fmt(p50 and p50 / 1000, 3)} ms | "
                         f"{fmt(p99 and p99 / 1000, 3)} ms | {fmt(handshake / 1000, 3) + ' ms' if tls == 'tls' and handshake is not None else '-'} | "
                         f"{fmt(first and first / 1000, 3)} ms | {count} |")
    lines.append("")


def batch_table(runs, lines):
    lines += ["## Batch: events through `BatchBuilder` (add, deflated as added, seal)", "",
              "A batch is the metadata line and 45 events (the forwarder ships at 90 % of 50); one iteration builds",
              "100 batches (4,500 events). Allocations counted by the benchmark's malloc interposer.", "",
              "| events handed over | events/s | allocations per event | runs |", "|---|---:|---:|---:|"]
    for name in sorted(n for n in runs if n.startswith("batch_")):
        m = re.search(r"(\d+)_events_x(\d+)$", name)
        events = int(m.group(1)) * int(m.group(2))
        wall_us, count = median_of(runs, name, WALL)
        mallocs, _ = median_of(runs, name, MALLOC)
        label = "one at a time" if "one_event" in name else "in payloads of 5"
        lines.append(f"| {label} | {fmt(events / (wall_us / 1e6), 0)} | {fmt(mallocs / events, 3)} | {count} |")
    lines.append("")


def e2e_table(e2e, lines):
    lines += ["## End to end: the layer's extension under `lambda-sim`", "",
              "The binary `make layer` packages (one static executable; measured before stripping, on this host).",
              f"Scenario `{e2e['scenario']}`: 500 invocations of 1-5 ms, each with 20 spans, a transaction and a",
              "separate `flushed=true` request (gzip), Telemetry API on; log level warning. Medians of the runs' figures",
              "(each run's p50/p99 is over its 500 invocations). Added latency: the agent's `flushed=true` (or",
              "runtimeDone) to the extension's next `/event/next`. Throughput: non-metadata events the sink received",
              "during the invocation phase / that phase's wall time (first INVOKE to last `/event/next`). The",
              "simulated function sets that pace (500 invocations of 1-5 ms each, one after the other), so events/s is",
              "what this workload delivered end to end, not the most the extension could take; the batch table above",
              "is the ceiling of the add-and-compress step on one core.", "",
              "| strategy | runs | init: start -> register | register -> first `/event/next` | peak RSS | added latency p50 | p99 | max | events/s |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for strategy, data in e2e["strategies"].items():
        m = data["median"]
        lines.append(
            f"| {strategy} | {len(data['runs'])} | {fmt(m['initStartToRegisterMs'], 2)} ms | {fmt(m['registerToFirstNextMs'], 2)} ms | "
            f"{fmt(m['peakRSSKB'] / 1024, 1)} MiB | {fmt(m['addedLatencyP50Ms'], 3)} ms | {fmt(m['addedLatencyP99Ms'], 3)} ms | "
            f"{fmt(m['addedLatencyMaxMs'], 2)} ms | {fmt(m['eventsPerSecond'], 0)} |")
    sync = e2e["strategies"].get("syncflush", {}).get("median", {})
    if sync.get("flushToSinkP50Ms") is not None:
        lines += ["", "Where the `syncflush` added latency goes (medians of the runs' p50 / p99): the agent's flush to the sink",
                  f"receiving that invocation's first intake request {fmt(sync['flushToSinkP50Ms'], 3)} / {fmt(sync['flushToSinkP99Ms'], 3)} ms;",
                  f"from there to `/event/next` (the sink answers, the extension reads the 202 and calls next) "
                  f"{fmt(sync['sinkToNextP50Ms'], 3)} / {fmt(sync['sinkToNextP99Ms'], 3)} ms."]
    problems = [p for data in e2e["strategies"].values() for r in data["runs"] for p in r["problems"]]
    bad_exits = [r["exitStatus"] for data in e2e["strategies"].values() for r in data["runs"] if r["exitStatus"] != 0]
    lines.append("")
    lines.append(f"lambda-sim reported {len(problems)} problem(s) and {len(bad_exits)} non-zero exit(s) over these runs."
                 + (f" First: {problems[0]}" if problems else ""))
    lines.append("")


def aims_table(ratios, e2e, lines):
    lines += ["## Aims", "", "| figure | aim | measured (median) | met |", "|---|---|---|---|"]
    for size, one, per in ratios:
        for label, value in [("one write", one), ("per event", per)]:
            if value is None:
                continue
            verdict = "yes" if value >= 90 else f"no, {90 - value:.1f} points short"
            lines.append(f"| gzip {size} ({label}) vs raw zlib | >= 90 % | {value:.1f} % | {verdict} |")
    for strategy, data in e2e["strategies"].items():
        m = data["median"]
        p99 = m["addedLatencyP99Ms"]
        lines.append(f"| added latency p99, {strategy} | <= 2 ms | {p99:.3f} ms | "
                     + ("yes" if p99 <= 2 else f"no, {p99 - 2:.3f} ms over ({p99 / 2:.1f}x)") + " |")
        init = m["initStartToRegisterMs"] + m["registerToFirstNextMs"]
        lines.append(f"| init (start -> first `/event/next`), {strategy} | <= 5 ms | {init:.2f} ms | "
                     + ("yes" if init <= 5 else f"no, {init - 5:.2f} ms over ({init / 5:.1f}x)") + " |")
        rss = m["peakRSSKB"] / 1024
        lines.append(f"| peak RSS, {strategy} | <= 8 MB | {rss:.1f} MiB | "
                     + ("yes" if rss <= 8 else f"no, {rss - 8:.1f} MiB over ({rss / 8:.1f}x)") + " |")
    lines.append("")


def busy_note(start, end):
    try:
        # At the start, before the benchmarks themselves load the machine (they keep ~1-2 busy).
        load = float(start.split()[0])
    except (AttributeError, ValueError, IndexError):
        return []
    if load <= 1.0:
        return ["The machine was otherwise idle when the run started (1-minute load at most 1).", ""]
    return ["**The machine was busy when this run started** (1-minute load "
            f"{load:.1f} on 2 cores: other builds were running), so wall-clock figures, tails above all,",
            "are noisier and slower than on an idle machine. Allocation counts and the profiles' shares are not affected.", ""]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", default="Benchmarks/results")
    parser.add_argument("--started", help="UTC time make bench started")
    parser.add_argument("--load", help="load average when make bench started")
    args = parser.parse_args()

    info = machine()
    runs = load_runs(args.results)
    with open(os.path.join(args.results, "e2e.json")) as file:
        e2e = json.load(file)
    commands = []
    commands_path = os.path.join(args.results, "commands.txt")
    if os.path.exists(commands_path):
        with open(commands_path) as file:
            commands = [line.rstrip() for line in file if line.strip()]
    with open("/proc/loadavg") as file:
        load_end = " ".join(file.read().split()[:3])

    lines = ["# Benchmarks", "",
             "Generated by `make bench` (`scripts/bench_report.py`); every figure below was measured in that run.",
             "Do not edit the tables by hand: run `make bench` again.", "",
             "## Machine and run", "",
             f"- date: {args.started or datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
             f"- machine: {info['cores']} cores, {info['cpu']}, {info['memory']} memory, Linux {info['kernel']}",
             f"- toolchain: {info['swift']}",
             f"- load average (1, 5, 15 min) at start: {args.load or 'n/a'}; at end: {load_end}"
             " (2 cores: a 1-minute load above ~1 means something else was running)", "",
             ] + busy_note(args.load, load_end) + [
             "Commands (from the repository root):", "", "```"] + commands + ["```", ""]
    ratios = gzip_table(runs, lines)
    http_table(runs, lines)
    batch_table(runs, lines)
    e2e_table(e2e, lines)
    lines += ["End-to-end commands (one run each; REPORT.json is a temporary file):", "", "```"] + e2e["commands"] + ["```", ""]
    aims_table(ratios, e2e, lines)
    profile = os.path.join(args.results, "profile.txt")
    if os.path.exists(profile):
        with open(profile) as file:
            lines += ["## Profiles (`scripts/bench_profile.sh`, same run)", "",
                      "perf here has no hardware counters (`perf stat -e instructions true`: not supported), so it samples",
                      "`cpu-clock`. valgrind 3.19 cannot read the unstripped binary's DWARF 5: callgrind figures (below and",
                      "in \"Layer\") are of copies stripped of debug info.", "", "```", file.read().rstrip(), "```", ""]
    analysis = os.path.join(os.path.dirname(os.path.abspath(args.results)), "ANALYSIS.md")
    if os.path.exists(analysis):
        with open(analysis) as file:
            lines += [file.read().rstrip(), ""]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
