#!/usr/bin/env python3
"""Soak: runs scenarios/soak.json (10 000 invocations with agent data, logs and metrics) through
lambda-sim against the release extension, then checks that the resident set after the first 1 000
invocations and after the last differ by less than 10 %, that no file descriptor leaked, and that
every transaction arrived. Writes the figures into BENCHMARKS.md between the soak markers.

usage: scripts/soak.py SIM EXTENSION [REPORT_JSON]
"""
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from put_section import put_section  # noqa: E402


def main():
    sim, extension = sys.argv[1], sys.argv[2]
    out = sys.argv[3] if len(sys.argv) > 3 else os.path.join(ROOT, ".build-soak", "soak.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    command = [sim, "--extension", extension, "--scenario", os.path.join(ROOT, "scenarios", "soak.json"), "--json", out]
    started = time.time()
    run = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.time() - started
    with open(out, encoding="utf-8") as handle:
        report = json.load(handle)
    samples = report["resourceSamples"]
    invocations = len(report["invocations"])
    by_count = {sample["invocations"]: sample for sample in samples}
    first = by_count.get(1000) or samples[0]
    last = samples[-1]
    growth = (last["residentKB"] - first["residentKB"]) / first["residentKB"] * 100
    fd_delta = last["openFileDescriptors"] - first["openFileDescriptors"]
    transactions = sum(1 for request in report["sinkRequests"] for line in request["events"] if line.startswith('{"transaction"'))
    problems = list(report["problems"])
    if invocations != 10000:
        problems.append(f"{invocations} invocations ran, not 10000")
    if growth >= 10:
        problems.append(f"resident set grew {growth:.1f} % from invocation 1000 to the last")
    if fd_delta != 0:
        problems.append(f"{fd_delta} file descriptors more at the end than after 1000 invocations")
    if transactions != invocations:
        problems.append(f"{transactions} transactions reached the sink for {invocations} invocations")

    rows = "\n".join(
        f"| {s['invocations']} | {s['residentKB']} | {s['peakResidentKB']} | {s['openFileDescriptors']} |" for s in samples)
    section = f"""## Soak

`make soak` ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, load average
{os.getloadavg()[0]:.1f} at the start): `{' '.join(os.path.relpath(c, ROOT) if c.startswith(ROOT) else c for c in command)}`,
{invocations} invocations in {elapsed:.0f} s, each with a registered transaction, 2 spans, a metricset,
gzip-compressed agent data, two log lines and the platform's telemetry.

| after invocation | VmRSS (KiB) | VmHWM (KiB) | open descriptors |
|---:|---:|---:|---:|
{rows}

Resident set from invocation {first['invocations']} to {last['invocations']}: {growth:+.1f} % (aim: under 10 %);
descriptors: {fd_delta:+d} (aim: 0); transactions delivered: {transactions} of {invocations};
verdict: {'pass' if not problems else 'FAIL: ' + '; '.join(problems)}."""
    put_section(os.path.join(ROOT, "BENCHMARKS.md"), "soak", section)
    print(section)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
