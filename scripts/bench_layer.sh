#!/usr/bin/env bash
# Layer figures for BENCHMARKS.md: zip size, unpacked size, and init time (lambda-sim's
# initStartToRegisterMs and registerToFirstNextMs, median of RUNS runs) of
#   release:    `make release` (swift build -c release: dynamic Swift runtime, system libcurl), on this host;
#   unpackaged: the layer's own build (static Swift runtime, static libcurl/OpenSSL/zlib) before
#               packaging, on this host with the host's loader and glibc;
#   layer:      the zip unpacked into an empty root and chrooted there (as LayerTests does:
#               unshare -m, mount /proc and /dev, chroot), so the bundled loader and libraries
#               are what it opens.
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

(cd "$root" && "$swift" build -c release --product $name >/dev/null)
release=$(cd "$root" && "$swift" build -c release --show-bin-path)/$name
unpackaged=$(cd "$root/.build-layer/src" && "$swift" build -c release --scratch-path "$root/.build-layer/swift" --show-bin-path)/$name

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

measure() { # label executable
    local label=$1 executable=$2
    for i in $(seq "$runs"); do
        "$sim" --extension "$executable" --scenario "$scenario" --json "$work/$label-$i.json" >/dev/null
    done
    python3 - "$label" "$work" "$runs" <<'PY'
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

echo "zip: $(basename "$zip") $(stat -c %s "$zip") bytes; unpacked: $(du -sb "$work/root/opt" | cut -f1) bytes"
echo "| build | start→register ms median (min–max) | register→first /next ms | start→first /next ms | peak RSS MB |"
echo "|---|---|---|---|---|"
measure release "$release"
measure unpackaged "$unpackaged"
measure layer-chrooted "$work/chrooted"
