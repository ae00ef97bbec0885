#!/usr/bin/env python3
"""Side by side: this extension against another one (the official extension), in one run.

The machines this runs on are shared and noisy, so only figures measured in the same run, with
the binaries alternating on each workload, are compared; each figure is the median of RUNS runs.

Workloads (the scenarios are in Benchmarks/scenarios/):
  init         compare-init.json under lambda-sim: process start -> first /event/next
  invocations  compare-invocations.json: 300 invocations, each with its agent's flush (syncflush),
               lasting 1-3 ms (the same seeded draw for every binary: equal ones fell into step
               with the platform's telemetry timer, so how many deliveries met a flush was luck):
               CPU (user+sys), peak RSS, added latency (flush -> /event/next)
  events       compare-events.json: 20 000 events through the receiver (100 invocations x 200)
  pinned       invocations and events again with lambda-sim and its children on one CPU
               (`taskset -c 0`), as a function under 1 769 MB runs: the extension competes with it
  plain start  the binary against a Runtime API that answers at once (SHUTDOWN on the first
               /event/next): start -> first /event/next (a start of its own), CPU (perf's
               task-clock) and peak RSS (GNU time)
Like for like: inside Lambda `sandbox.localdomain` names the sandbox, and the official extension
listens for the Logs API there; where the name does not resolve it runs without its Logs API
subscription, i.e. without the telemetry work (platform metrics, function logs) this extension does.
So where it does not resolve and /etc/hosts is writable, the run adds `127.0.0.1 sandbox.localdomain`
to it for its length and restores the file after; each extension's telemetry subscription is in the
report.
Four floors run beside them. The init floor (Benchmarks/floor/floor_extension.c: register, then
/event/next until SHUTDOWN) on init and plain start: init figures are compared above it,
(ours - floor) / (theirs - floor). The protocol floor (Benchmarks/floor/protocol_floor.c: the same
messages as an extension, one thread, none of an extension's own work) on the lambda-sim workloads,
the stack floor (Sources/StackFloor: those messages on this extension's HTTP server and client,
built as its binary is) on those and the plain start, and the stack floor + gzip (the same binary
with STACK_FLOOR_GZIP=1: each flush's data gzipped, as the contract requires of an extension) on
the workloads where data flows: their figures and their ratios to the official extension's are a
table of their own, i.e. how much of each figure the protocol itself, the protocol on this
extension's building blocks, and those with the contract's gzip account for.

usage: compare.py --extension BIN --lambda-sim BIN [--compare BIN] [--floor BIN] [--protocol-floor BIN]
                  [--stack-floor BIN] [--runs 5]
                  [--layer-zip ZIP] [--compare-zip ZIP] [--out DIR] [--png FILE]
Writes DIR/compare.json, DIR/compare.md (the BENCHMARKS.md section) and the picture FILE
(default Benchmarks/compare.png, which BENCHMARKS.md links).
"""
import argparse
import contextlib
import http.server
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
SCENARIOS = os.path.join(ROOT, "Benchmarks", "scenarios")
ENVIRONMENT = ["ELASTIC_APM_LOG_LEVEL=warning"]

# The floors whose figures are shown beside the extensions' (the init floor is subtracted instead).
FLOORS = ("protocol floor", "stack floor", "stack floor + gzip")
# The stack floor again, gzipping each flush's data as the contract requires of an extension
# (Sources/StackFloor): on the workloads where data flows (not init or a plain start).
FLOOR_ENVIRONMENT = {"stack floor + gzip": ["STACK_FLOOR_GZIP=1"]}

# What the comparison aims at (ours / official), from the Lean issue.
AIMS = {
    "init above the floor (lambda-sim)": 0.5,
    "init above the floor (plain start)": 0.5,
    "peak RSS (lambda-sim, 300 invocations)": 0.5,
    "peak RSS (plain start)": 0.5,
    "CPU, 300 invocations": 0.35,
    "CPU, 20 000 events": 0.5,
    "added latency p99": 0.5,
    "layer zip": 1.0,
    "one CPU: CPU, 300 invocations": 0.35,
    "one CPU: CPU, 20 000 events": 0.5,
    "one CPU: added latency p99": 0.5,
}


SANDBOX_NAME = "sandbox.localdomain"


@contextlib.contextmanager
def sandbox_name_resolving():
    """Makes SANDBOX_NAME resolve for the block's length if it does not (module docstring); yields
    how it resolves, for the report."""
    try:
        socket.getaddrinfo(SANDBOX_NAME, None)
        yield f"`{SANDBOX_NAME}` resolves on this machine"
        return
    except socket.gaierror:
        pass
    try:
        with open("/etc/hosts") as file:
            original = file.read()
        with open("/etc/hosts", "a") as file:
            file.write(f"{'' if original.endswith(chr(10)) else chr(10)}127.0.0.1 {SANDBOX_NAME}\n")
    except OSError as error:
        print(f"compare: {SANDBOX_NAME} does not resolve and /etc/hosts cannot be changed ({error}): "
              "the official extension runs without its Logs API subscription", file=sys.stderr)
        yield f"`{SANDBOX_NAME}` did not resolve ({error.strerror}): the official extension ran without its Logs API subscription"
        return
    try:
        yield f"`{SANDBOX_NAME}` resolved to 127.0.0.1 for the run (a line in /etc/hosts, removed after)"
    finally:
        with open("/etc/hosts", "w") as file:
            file.write(original)


def percentile(samples, fraction):
    """Nearest rank, as lambda-sim's LatencyFigures computes it."""
    ordered = sorted(samples)
    rank = max(1, int(-(-fraction * len(ordered) // 1)))
    return ordered[min(rank, len(ordered)) - 1]


def simulate(sim, binary, scenario, directory, label, pinned=False, environment=()):
    """One lambda-sim run; returns its report (dict) with `problems` checked by the caller."""
    report_path = os.path.join(directory, f"{label}.json")
    command = [sim, "--extension", binary, "--scenario", os.path.join(SCENARIOS, scenario), "--json", report_path]
    for variable in ENVIRONMENT + list(environment):
        command += ["--env", variable]
    if pinned:
        command = ["taskset", "-c", "0"] + command
    completed = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    with open(report_path) as file:
        report = json.load(file)
    report["exitStatus"] = completed.returncode
    return report


def sim_figures(report):
    latencies = [i["addedLatencyMs"] for i in report["invocations"] if i.get("addedLatencyMs") is not None]
    samples = report.get("resourceSamples") or []
    return {
        "initMs": (report.get("initStartToRegisterMs") or 0) + (report.get("registerToFirstNextMs") or 0),
        "peakRSSKB": report.get("peakRSSKB"),
        "cpuMs": samples[-1].get("cpuMilliseconds") if samples else None,
        "latencies": latencies,
        "addedLatencyP99Ms": percentile(latencies, 0.99) if latencies else None,
        "problems": report.get("problems", []),
        "telemetrySubscription": report.get("telemetrySubscription"),
    }


class RuntimeAPI(http.server.BaseHTTPRequestHandler):
    """Answers at once: register 200, telemetry 202 (not available), /event/next SHUTDOWN."""
    protocol_version = "HTTP/1.1"
    # Headers and body in one segment: with Nagle on, the body would wait for the client's delayed
    # ACK of the headers (40 ms on Linux), which is the test bench's cost, not the extension's.
    disable_nagle_algorithm = True
    wbufsize = 1 << 16
    first_next = None

    def answer(self, status, body=b"{}", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.endswith("/extension/register"):
            self.answer(200, b'{"functionName":"compare"}', [("Lambda-Extension-Identifier", "plain-start")])
        else:
            self.answer(202)

    def do_PUT(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.answer(202)

    def do_GET(self):
        if RuntimeAPI.first_next is None:
            RuntimeAPI.first_next = time.monotonic()
        deadline = int(time.time() * 1000) + 2000
        self.answer(200, json.dumps({"eventType": "SHUTDOWN", "shutdownReason": "spindown", "deadlineMs": deadline}).encode())

    def log_message(self, *arguments):
        pass


def plain_start(binary, server, directory, name):
    """Start -> first /event/next, CPU and peak RSS of one start against a Runtime API that answers at once."""
    RuntimeAPI.first_next = None
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_address[1]}",
        # Nothing listens there: nothing is sent, and the extension must not wait for it.
        "ELASTIC_APM_LAMBDA_APM_SERVER": "http://127.0.0.1:9",
        "ELASTIC_APM_DATA_RECEIVER_SERVER_PORT": str(free_port()),
        "ELASTIC_APM_LOG_LEVEL": "warning",
    }
    linked = os.path.join(directory, name)
    if not os.path.exists(linked):
        os.symlink(binary, linked)
    # GNU time forks the binary from a small process of its own: a child forked straight from this
    # Python would report this interpreter's resident set as its peak (Linux keeps the larger).
    # CPU from perf's task-clock (all threads, microsecond resolution) where perf runs; GNU time's
    # user and system times are in 10 ms ticks, too coarse for a start.
    usage_path = os.path.join(directory, name + ".usage")
    stat_path = os.path.join(directory, name + ".stat")
    command = ["/usr/bin/time", "-f", "%M %U %S", "-o", usage_path, linked]
    if shutil.which("perf"):
        command = ["perf", "stat", "-x", ",", "-e", "task-clock", "-o", stat_path, "--"] + command
    completed = subprocess.run(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # The time to the first /event/next from a start of its own, with nothing in between: perf
    # sets up counters for every thread a process starts, which would inflate the init of a
    # binary with more threads by far more than those threads cost it.
    RuntimeAPI.first_next = None
    started = time.monotonic()
    subprocess.run([linked], env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first_next = RuntimeAPI.first_next
    with open(usage_path) as file:
        peak_kb, user, system = file.read().split()[-3:]
    cpu_ms = (float(user) + float(system)) * 1000
    if os.path.exists(stat_path):
        for line in open(stat_path):
            fields = line.split(",")
            if len(fields) > 2 and fields[2].startswith("task-clock") and fields[0].replace(".", "", 1).isdigit():
                cpu_ms = float(fields[0])
    return {
        "initMs": (first_next - started) * 1000 if first_next else None,
        "cpuMs": cpu_ms,
        "peakRSSKB": int(peak_kb),
        "exitStatus": completed.returncode,
    }


def free_port():
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def median(values):
    values = [v for v in values if isinstance(v, (int, float))]
    return statistics.median(values) if values else None


def zipped_size(binary, directory):
    """The binary alone in a zip at the highest level: what a layer of it would weigh at least."""
    path = os.path.join(directory, os.path.basename(binary) + ".zip")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.write(binary, "extensions/" + os.path.basename(binary))
    return os.path.getsize(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--extension", required=True, help="this extension (the layer's binary)")
    parser.add_argument("--compare", help="the other extension, e.g. the official one from its layer zip")
    parser.add_argument("--floor", help="the init floor extension (Benchmarks/floor/floor_extension.c)")
    parser.add_argument("--protocol-floor", help="the protocol floor extension (Benchmarks/floor/protocol_floor.c)")
    parser.add_argument("--stack-floor", help="the stack floor extension (Sources/StackFloor)")
    parser.add_argument("--lambda-sim", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--layer-zip", help="this extension's layer zip")
    parser.add_argument("--compare-zip", help="the other extension's layer zip (else its binary, zipped here)")
    parser.add_argument("--out", default=os.path.join(ROOT, "Benchmarks", "results"))
    parser.add_argument("--png", default=os.path.join(ROOT, "Benchmarks", "compare.png"))
    parser.add_argument("--command", default="", help="the command that ran this, for the report")
    args = parser.parse_args()

    binaries = {"ours": os.path.abspath(args.extension)}
    if args.compare:
        binaries["official"] = os.path.abspath(args.compare)
    if args.floor:
        binaries["floor"] = os.path.abspath(args.floor)
    if args.protocol_floor:
        binaries["protocol floor"] = os.path.abspath(args.protocol_floor)
    if args.stack_floor:
        binaries["stack floor"] = os.path.abspath(args.stack_floor)
        binaries["stack floor + gzip"] = os.path.abspath(args.stack_floor)
    os.makedirs(args.out, exist_ok=True)
    runs = {name: {} for name in binaries}
    problems = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RuntimeAPI)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    workloads = [
        ("init", "compare-init.json", False),
        ("invocations", "compare-invocations.json", False),
        ("events", "compare-events.json", False),
        ("pinned invocations", "compare-invocations.json", True),
        ("pinned events", "compare-events.json", True),
    ]
    with tempfile.TemporaryDirectory(prefix="eapm-compare-") as directory, sandbox_name_resolving() as sandbox_name:
        for run in range(args.runs):
            for workload, scenario, pinned in workloads:
                # Alternating: each binary in turn on the same workload, so drifts in the machine's
                # load fall on all of them alike.
                for name, binary in binaries.items():
                    if name == "floor" and workload != "init":
                        continue
                    if name in FLOOR_ENVIRONMENT and workload == "init":
                        continue
                    label = f"{name}-{workload}-{run}".replace(" ", "-").replace("+", "")
                    report = simulate(args.lambda_sim, binary, scenario, directory, label, pinned, FLOOR_ENVIRONMENT.get(name, ()))
                    figures = sim_figures(report)
                    if figures["problems"] or report["exitStatus"] != 0:
                        problems.append(f"{name} {workload} run {run + 1}: {figures['problems']} exit {report['exitStatus']}")
                    runs[name].setdefault(workload, []).append(figures)
            for name, binary in binaries.items():
                if name == "protocol floor" or name in FLOOR_ENVIRONMENT:  # needs an APM Server; no data flows
                    continue
                figures = plain_start(binary, server, directory, f"{name}-extension")
                runs[name].setdefault("plain start", []).append(figures)
            print(f"compare: run {run + 1}/{args.runs} done", flush=True)
        sizes = {"ours": os.path.getsize(args.layer_zip) if args.layer_zip else zipped_size(binaries["ours"], directory)}
        if "official" in binaries:
            sizes["official"] = os.path.getsize(args.compare_zip) if args.compare_zip else zipped_size(binaries["official"], directory)
        if "stack floor" in binaries:
            sizes["stack floor"] = zipped_size(binaries["stack floor"], directory)
    server.shutdown()

    def figure(name, workload, key):
        return median(r[key] for r in runs.get(name, {}).get(workload, []))

    rows = []

    def add(label, key, workload, unit, subtract_floor=False):
        """`subtract_floor`: ratios are taken above the init floor's figure (init)."""
        ours = figure("ours", workload, key)
        theirs = figure("official", workload, key) if "official" in binaries else None
        floor = figure("floor", workload, key) if subtract_floor and "floor" in binaries else None

        def ratio(value):
            if value is None or not theirs:
                return None
            return (value - floor) / (theirs - floor) if floor is not None and theirs > floor else value / theirs
        floors = {}
        for name in FLOORS:
            value = figure(name, workload, key) if name in binaries else None
            if value is not None:
                floors[name] = {"value": value, "ratio": ratio(value)}
        # Each run's own ratio (the binaries alternate within a run): how far one run's figure moves.
        def values(name):
            return [r[key] for r in runs.get(name, {}).get(workload, [])]
        floors_per_run = values("floor") if floor is not None else []
        per_run = []
        for index, (mine, other) in enumerate(zip(values("ours"), values("official"))):
            below = floors_per_run[index] if index < len(floors_per_run) else None
            if below is not None and other > below:
                per_run.append((mine - below) / (other - below))
            elif below is None and other:
                per_run.append(mine / other)
        rows.append({"figure": label, "ours": ours, "official": theirs, "floor": floor, "unit": unit, "ratio": ratio(ours),
                     "ratioRange": [min(per_run), max(per_run)] if per_run else None,
                     "floors": floors, "aim": AIMS.get(label)})

    add("init above the floor (lambda-sim)", "initMs", "init", "ms", subtract_floor=True)
    add("init above the floor (plain start)", "initMs", "plain start", "ms", subtract_floor=True)
    add("peak RSS (lambda-sim, 300 invocations)", "peakRSSKB", "invocations", "KiB")
    add("peak RSS (plain start)", "peakRSSKB", "plain start", "KiB")
    add("CPU, 300 invocations", "cpuMs", "invocations", "ms")
    add("CPU, 20 000 events", "cpuMs", "events", "ms")
    add("added latency p99", "addedLatencyP99Ms", "invocations", "ms")
    add("one CPU: CPU, 300 invocations", "cpuMs", "pinned invocations", "ms")
    add("one CPU: CPU, 20 000 events", "cpuMs", "pinned events", "ms")
    add("one CPU: added latency p99", "addedLatencyP99Ms", "pinned invocations", "ms")
    # The plain start's CPU includes the whole run to exit (init, SHUTDOWN, exit), and GNU time's own.
    add("CPU of a plain start (to exit)", "cpuMs", "plain start", "ms")
    zip_ratio = sizes["ours"] / sizes["official"] if "official" in sizes else None
    rows.append({"figure": "layer zip", "ours": sizes["ours"] / 1e6, "official": sizes.get("official", 0) / 1e6 or None,
                 "floor": None, "unit": "MB", "ratio": zip_ratio, "aim": AIMS["layer zip"],
                 "floors": {"stack floor": {"value": sizes["stack floor"] / 1e6, "ratio": sizes["stack floor"] / sizes["official"]}}
                 if "stack floor" in sizes and "official" in sizes else {}})

    extensions = [name for name in binaries if name in ("ours", "official")]
    latencies = {name: [l for r in runs[name].get("invocations", []) for l in r["latencies"]] for name in extensions}
    pinned_latencies = {name: [l for r in runs[name].get("pinned invocations", []) for l in r["latencies"]] for name in extensions}
    subscriptions = {name: sorted({str(figures["telemetrySubscription"]) for figures in runs[name].get("invocations", [])})
                     for name in extensions}
    results = {"runs": args.runs, "binaries": binaries, "rows": rows, "problems": problems, "command": args.command,
               "sizes": sizes, "raw": runs, "sandboxName": sandbox_name, "subscriptions": subscriptions}
    with open(os.path.join(args.out, "compare.json"), "w") as file:
        json.dump(results, file, indent=1)
    with open(os.path.join(args.out, "compare.md"), "w") as file:
        file.write(markdown(results, args))
    draw(rows, latencies, pinned_latencies, args.png)
    for row in rows:
        print(f"{row['figure']}: ours {fmt(row['ours'])}, official {fmt(row['official'])}, ratio {fmt(row['ratio'], 2)}")
    if problems:
        print("problems:\n  " + "\n  ".join(problems), file=sys.stderr)
    return 0


def fmt(value, digits=1):
    if value is None:
        return "–"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def markdown(results, args):
    lines = [
        "Side by side, one run, the binaries alternating on each workload; each figure is the median of "
        f"{results['runs']} runs (`scripts/compare.py`; workloads in its header), and each run's own ratio "
        "(lowest–highest) shows how far one run's figure moves on this machine.",
        "",
        "```sh",
        results["command"] or "python3 scripts/compare.py ...",
        "```",
        "",
        "| figure | this extension | official | floor | ours / official | each run's ratio | aim |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in results["rows"]:
        unit = row["unit"]
        met = "" if row["ratio"] is None or row["aim"] is None else (" ✓" if row["ratio"] <= row["aim"] else " ✗")
        spread = row.get("ratioRange")
        lines.append(
            f"| {row['figure']} | {fmt(row['ours'])} {unit} | {fmt(row['official'])} {unit if row['official'] is not None else ''} | "
            f"{fmt(row['floor']) + ' ' + unit if row['floor'] is not None else ''} | {fmt(row['ratio'], 2)}{met} | "
            f"{fmt(spread[0], 2) + '–' + fmt(spread[1], 2) if spread else ''} | "
            f"{'≤ ' + fmt(row['aim'], 2) if row['aim'] is not None else ''} |")
    floored = [row for row in results["rows"] if row.get("floors")]
    if floored:
        lines += [
            "",
            "The floors beside the official extension, same run (ratios of init above the init floor, as above): the",
            "protocol floor (`Benchmarks/floor/protocol_floor.c`: the same messages as an extension, one thread, none",
            "of an extension's own work), the stack floor (`Sources/StackFloor`: those messages on this",
            "extension's HTTP server and client, tasks on the event loop, built as the layer's binary is), and the",
            "stack floor + gzip (the same, gzipping each flush's data at zlib level 1 as the contract requires of",
            "an extension: one gzip'd request per batch). An aim below the stack floor's ratio needs other building",
            "blocks, not less work; below the stack floor + gzip's, also another contract.",
            "",
            "| figure | protocol floor | / official | stack floor | / official | stack floor + gzip | / official | aim (ours / official) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in floored:
            cells = []
            for name in FLOORS:
                entry = row["floors"].get(name)
                cells += [f"{fmt(entry['value'])} {row['unit']}", fmt(entry["ratio"], 2)] if entry else ["", ""]
            lines.append(f"| {row['figure']} | {' | '.join(cells)} | {'≤ ' + fmt(row['aim'], 2) if row['aim'] is not None else ''} |")
    lines += ["", f"Binaries: this extension `{os.path.basename(results['binaries']['ours'])}` "
              f"({os.path.getsize(results['binaries']['ours']) / 1e6:.1f} MB)"]
    if "official" in results["binaries"]:
        lines[-1] += f", official `{os.path.basename(results['binaries']['official'])}` ({os.path.getsize(results['binaries']['official']) / 1e6:.1f} MB)"
    lines[-1] += "; the layer zip of the official extension is its binary zipped here unless `COMPARE_ZIP` names its zip."
    names = {"ours": "this extension", "official": "the official one"}
    subscribed = "; ".join(f"{names[name]}: {', '.join(kinds)}" for name, kinds in results["subscriptions"].items())
    lines += ["", f"Telemetry subscriptions under lambda-sim ({subscribed}; `None`: none): {results['sandboxName']}."]
    if results["problems"]:
        lines += ["", "Problems seen during the runs:", ""] + [f"- {p}" for p in results["problems"]]
    lines += ["", "![added latency and cost ratios](Benchmarks/compare.png)", ""]
    return "\n".join(lines)


def draw(rows, latencies, pinned_latencies, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plot
        import matplotlib.ticker
    except ImportError:
        print("matplotlib is missing: no picture (make compare installs it)", file=sys.stderr)
        return
    figure, (left, right) = plot.subplots(1, 2, figsize=(13, 5.2))
    colours = {"ours": "#1f77b4", "official": "#d62728"}
    for name, samples in latencies.items():
        if samples:
            ordered = sorted(samples)
            left.plot(ordered, [(i + 1) / len(ordered) for i in range(len(ordered))], color=colours[name], label=f"{name}")
    for name, samples in pinned_latencies.items():
        if samples:
            ordered = sorted(samples)
            left.plot(ordered, [(i + 1) / len(ordered) for i in range(len(ordered))], color=colours[name], linestyle="--",
                      label=f"{name}, one CPU")
    left.set_xscale("log")
    left.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda value, _: f"{value:g}"))
    # Only 2 and 5 between the powers of ten: all eight would overlap.
    left.xaxis.set_minor_formatter(matplotlib.ticker.FuncFormatter(
        lambda value, _: f"{value:g}" if f"{value:.0e}"[0] in "25" else ""))
    left.set_xlabel("added latency: agent flush -> /event/next (ms, log scale)")
    left.set_ylabel("share of invocations")
    left.set_title("Added latency, 300 invocations per run")
    left.grid(True, which="both", alpha=0.3)
    left.legend()
    shown = [row for row in rows if row["ratio"] is not None]
    labels = [row["figure"] for row in shown]
    values = [row["ratio"] for row in shown]
    positions = range(len(shown))
    bars = right.barh(list(positions), values,
                      color=["#2ca02c" if row["aim"] is not None and row["ratio"] <= row["aim"] else "#ff7f0e" for row in shown])
    for position, row in zip(positions, shown):
        if row["aim"] is not None:
            right.plot([row["aim"], row["aim"]], [position - 0.4, position + 0.4], color="black", linewidth=1.5)
    for name, marker in zip(FLOORS, ("x", "+", "1")):
        points = [(position, row["floors"][name]["ratio"]) for position, row in zip(positions, shown)
                  if row.get("floors", {}).get(name, {}).get("ratio")]
        if points:
            right.scatter([ratio for _, ratio in points], [position for position, _ in points], marker=marker, s=60,
                          color="dimgrey" if name == "protocol floor" else "black", zorder=3, label=f"{name} / official")
    if any(row.get("floors") for row in shown):
        right.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3, fontsize=8, frameon=False)
    right.bar_label(bars, labels=[f"{v:.2f}" for v in values], padding=3, fontsize=8)
    right.axvline(1.0, color="grey", linewidth=0.8, linestyle=":")
    right.set_xscale("log")
    right.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda value, _: f"{value:g}"))
    right.set_yticks(list(positions))
    right.set_yticklabels(labels, fontsize=8)
    right.invert_yaxis()
    right.set_xlabel("this extension / official (lower is better; black tick: aim; x, +: floors)")
    right.set_title("Cost ratios")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
