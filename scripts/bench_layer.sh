#!/usr/bin/env bash
# Layer figures for BENCHMARKS.md: zip size, unpacked size, and init time (lambda-sim's
# initStartToRegisterMs and registerToFirstNextMs, median of RUNS runs) of
#   release:    `make release` (swift build -c release: dynamic Swift runtime, system libcurl), on this host;
#   unpackaged: the layer's own build (one static executable) before packaging, on this host;
#   layer:      the zip unpacked into an empty root and chrooted there (as LayerTests does:
#               unshare -m, mount /proc and /dev, chroot).
# Needs root, `make layer` and `swift build` (for lambda-sim) first.
# usage: scripts/bench_layer.sh [RUNS]   (default 9)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-9}
name=elastic-apm-lambda-extension
swift=${SWIFT:-swift}
scenario=$root/scenarios/happy-path.json
sim=$(cd "$root" && "$swift" build --show-bin-path)/lambda-sim
zip=$(ls -t "$root"/dist/$name-*-linux-x86_64.zip | head -1)
work=$(mktemp -d /tmp/layer-bench.XXXXXX)
trap 'grep -q "$work" /proc/self/mountinfo || rm -rf "$work"' EXIT

# `make release`'s binary is measured when it is there (it is not built here).
release=$(cd "$root" && "$swift" build -c release --show-bin-path)/$name
unpackaged=$(cat "$root/.build-layer/binary.path")   # written by make layer

mkdir -p "$work/root/opt" "$work/root/tmp" "$work/root/dev" "$work/root/proc"
chmod 1777 "$work/root/tmp"
unzip -q "$zip" -d "$work/root/opt"
cat >"$work/chrooted" <<EOF
#!/bin/sh
exec $(command -v unshare) --mount --propagation private /bin/sh -c '
  $(command -v mount) -t proc proc "\$0/proc" && $(command -v mount) --rbind /dev "\$0/dev" &&
  exec $(command -v chroot) "\$0" /opt/extensions/$name "\$@"' '$work/root' "\$@"
EOF
chmod 755 "$work/chrooted"
# The same wrapper steps (unshare, mount /proc and /dev) without the chroot, around the
# unpackaged binary: what the wrapper itself costs, so that layer-chrooted minus this is the
# layer's own cost (the chroot, the layer's files).
cat >"$work/wrapped" <<EOF
#!/bin/sh
exec $(command -v unshare) --mount --propagation private /bin/sh -c '
  $(command -v mount) -t proc proc "\$0/proc" && $(command -v mount) --rbind /dev "\$0/dev" &&
  exec "\$1"' '$work/root' '$unpackaged'
EOF
chmod 755 "$work/wrapped"

labels=(unpackaged unpackaged-wrapped layer-chrooted)
declare -A executables=([unpackaged]=$unpackaged [layer-chrooted]=$work/chrooted [unpackaged-wrapped]=$work/wrapped [release]=$release)
[[ -x $release ]] && labels=(release "${labels[@]}")
# Interleaved, so that load from elsewhere on the machine affects every variant alike.
for i in $(seq "$runs"); do
    for label in "${labels[@]}"; do
        "$sim" --extension "${executables[$label]}" --scenario "$scenario" --json "$work/$label-$i.json" >/dev/null
    done
done

summarise() { # label
    python3 - "$1" "$work" "$runs" <<'PY'
import json, statistics, sys
label, work, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
reports = [json.load(open(f"{work}/{label}-{i}.json")) for i in range(1, runs + 1)]
def figure(key):
    values = [r[key] for r in reports if r.get(key) is not None]
    return statistics.median(values), min(values), max(values)
reg, nxt = figure("initStartToRegisterMs"), figure("registerToFirstNextMs")
rss = statistics.median(r["peakRSSKB"] for r in reports if r.get("peakRSSKB"))
total = statistics.median(r["initStartToRegisterMs"] + r["registerToFirstNextMs"] for r in reports)
print(f"| {label} | {reg[0]:.1f} ({reg[1]:.1f}–{reg[2]:.1f}) | {nxt[0]:.1f} ({nxt[1]:.1f}–{nxt[2]:.1f}) | {total:.1f} | {rss/1024:.1f} |")
PY
}

echo "zip: $(basename "$zip") $(stat -c %s "$zip") bytes; unpacked: $(du -sb "$work/root/opt" | cut -f1) bytes ($(cd "$work/root/opt" && find . -type f | wc -l) files)"
echo "| build | start→register ms, median (min–max) | register→first /next ms, median (min–max) | start→first /next ms, median | peak RSS MB, median |"
echo "|---|---|---|---|---|"
for label in "${labels[@]}"; do summarise "$label"; done

# Process start alone, without the wrappers: `--version` (exec, loading and relocating what is
# dynamic, the Swift runtime's start, exit) N times, `make release`'s dynamically linked binary vs
# the layer's static one, both started the same way (fork, chroot: to / for the host-linked one)
# from one process in one mount namespace (/proc mounted in the root once).
starts=${STARTS:-300}
if [[ -x $release ]]; then
    unshare --mount --propagation private /bin/sh -c '
      mount -t proc proc "$1/proc" && exec python3 - "$1" "$2" "$3"' sh "$work/root" "$release" "$starts" <<'PY'
import os, statistics, subprocess, sys, time
root, release, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
def run(argv, chroot):
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True, preexec_fn=lambda: (os.chroot(chroot), os.chdir("/")))
    return (time.perf_counter() - start) * 1000
variants = {"release (`make release`: host loader, shared Swift runtime and libraries)": lambda: run([release, "--version"], "/"),
            "layer (static, chrooted)": lambda: run(["/opt/extensions/elastic-apm-lambda-extension", "--version"], root)}
samples = {name: [] for name in variants}
for _ in range(count):
    for name, variant in variants.items():
        samples[name].append(variant())
print(f"\n| `--version` start to exit, {count} runs | median ms | p10 ms | p90 ms |\n|---|---|---|---|")
for name, values in samples.items():
    q = statistics.quantiles(values, n=10)
    print(f"| {name} | {statistics.median(values):.2f} | {q[0]:.2f} | {q[-1]:.2f} |")
PY
fi

# Instructions from exec to exit of `--version`, loading included (callgrind counts them; the same
# figure on every run, whatever the load). valgrind needs stripped binaries (it gives up on the
# unstripped one's debug info); the layer's is.
if command -v valgrind >/dev/null; then
    echo
    echo "| \`--version\` under callgrind | instructions |"
    echo "|---|---|"
    count() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 | sed -n 's/.*Collected : //p'; }
    if [[ -x $release ]]; then
        strip -o "$work/release.stripped" "$release"
        echo "| release (make release) | $(count "$work/release.stripped" --version) |"
    fi
    echo "| layer (static) | $(count "$work/root/opt/extensions/$name" --version) |"
fi
