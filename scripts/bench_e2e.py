#!/usr/bin/env python3
"""End-to-end figures of the release extension under lambda-sim (`make bench` runs this).

Runs Benchmarks/scenarios/e2e.json (500 invocations of 1-5 ms, 20 spans each) RUNS times with
each send strategy through `lambda-sim --json`, and writes the per-run figures and their medians
to OUT (JSON), which scripts/bench_report.py turns into tables.

usage: bench_e2e.py --extension BIN --lambda-sim BIN [--runs 5] [--out Benchmarks/results/e2e.json]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

SCENARIO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Benchmarks", "scenarios", "e2e.json"))


def percentile(samples, fraction):
    """Nearest rank, as lambda-sim's LatencyFigures computes it."""
    ordered = sorted(samples)
    rank = max(1, int(-(-fraction * len(ordered) // 1)))
    return ordered[min(rank, len(ordered)) - 1]


def figures(report):
    invocations = report["invocations"]
    latencies = [i["addedLatencyMs"] for i in invocations if i.get("addedLatencyMs") is not None]
    start = min(i["invokedAtMs"] for i in invocations)
    end = max(i["nextCalledAtMs"] for i in invocations if i.get("nextCalledAtMs") is not None)
    # Events the sink received while invocations ran (the shutdown flush comes after `end`).
    events = sum(
        sum(1 for line in r["events"] if not line.startswith('{"metadata"'))
        for r in report["sinkRequests"] if r["atMs"] <= end)
    all_events = sum(
        sum(1 for line in r["events"] if not line.startswith('{"metadata"')) for r in report["sinkRequests"])
    # Where the added latency goes: the agent's flush to the first intake request the sink saw for
    # that invocation (batch sealed, gzip finished, request sent), then from there to `/event/next`.
    to_sink, sink_to_next = [], []
    first_intake = {}
    for r in report["sinkRequests"]:
        if r.get("invocation") is not None and r["path"].startswith("/intake"):
            first_intake.setdefault(r["invocation"], r["atMs"])
    for i in invocations:
        flushed = i.get("flushedAtMs") or i.get("runtimeDoneAtMs")
        at = first_intake.get(i["index"])
        if flushed is not None and at is not None and i.get("nextCalledAtMs") is not None and flushed <= at <= i["nextCalledAtMs"]:
            to_sink.append(at - flushed)
            sink_to_next.append(i["nextCalledAtMs"] - at)
    return {
        "flushToSinkP50Ms": percentile(to_sink, 0.50) if to_sink else None,
        "flushToSinkP99Ms": percentile(to_sink, 0.99) if to_sink else None,
        "sinkToNextP50Ms": percentile(sink_to_next, 0.50) if sink_to_next else None,
        "sinkToNextP99Ms": percentile(sink_to_next, 0.99) if sink_to_next else None,
        "splitSamples": len(to_sink),
        "invocations": len(invocations),
        "initStartToRegisterMs": report.get("initStartToRegisterMs"),
        "registerToFirstNextMs": report.get("registerToFirstNextMs"),
        "peakRSSKB": report.get("peakRSSKB"),
        "addedLatencyP50Ms": percentile(latencies, 0.50),
        "addedLatencyP99Ms": percentile(latencies, 0.99),
        "addedLatencyMaxMs": max(latencies),
        "latencySamples": len(latencies),
        "invocationPhaseMs": end - start,
        "eventsDuringInvocations": events,
        "eventsTotal": all_events,
        "eventsPerSecond": events / ((end - start) / 1000.0),
        "problems": report.get("problems", []),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--extension", required=True)
    parser.add_argument("--lambda-sim", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", default="Benchmarks/results/e2e.json")
    args = parser.parse_args()

    results = {"scenario": os.path.relpath(SCENARIO), "commands": [], "strategies": {}}
    with tempfile.TemporaryDirectory(prefix="eapm-bench-e2e-") as directory:
        for strategy in ["syncflush", "background"]:
            runs = []
            for run in range(args.runs):
                report_path = os.path.join(directory, f"{strategy}-{run}.json")
                command = [args.lambda_sim, "--extension", args.extension, "--scenario", SCENARIO,
                           "--json", report_path, "--env", f"ELASTIC_APM_SEND_STRATEGY={strategy}",
                           "--env", "ELASTIC_APM_LOG_LEVEL=warning"]
                if run == 0:
                    shown = [("REPORT.json" if c == report_path else os.path.relpath(c) if os.path.isabs(c) else c)
                             for c in command]
                    results["commands"].append(" ".join(shown))
                started = time.monotonic()
                completed = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                with open(report_path) as file:
                    run_figures = figures(json.load(file))
                run_figures["exitStatus"] = completed.returncode
                run_figures["wallSeconds"] = round(time.monotonic() - started, 2)
                runs.append(run_figures)
                print(f"e2e {strategy} run {run + 1}/{args.runs}: p50 {run_figures['addedLatencyP50Ms']:.3f} ms, "
                      f"p99 {run_figures['addedLatencyP99Ms']:.3f} ms, init {run_figures['initStartToRegisterMs']} + "
                      f"{run_figures['registerToFirstNextMs']} ms, RSS {run_figures['peakRSSKB']} KB, "
                      f"{run_figures['eventsPerSecond']:.0f} events/s, exit {completed.returncode}", flush=True)
                if completed.returncode != 0 or run_figures["problems"]:
                    print(f"  problems: {run_figures['problems']} {completed.stderr[-500:]}", file=sys.stderr)
            keys = [k for k in runs[0] if any(isinstance(r.get(k), (int, float)) for r in runs)]
            medians = {k: statistics.median(r[k] for r in runs if isinstance(r.get(k), (int, float))) for k in keys}
            results["strategies"][strategy] = {"runs": runs, "median": medians}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as file:
        json.dump(results, file, indent=2)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
