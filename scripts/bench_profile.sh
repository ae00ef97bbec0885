#!/bin/sh
# Where the extension's init time and peak RSS go (the figures BENCHMARKS.md discusses):
#   1. perf record (software cpu-clock samples: this machine has no hardware counters) of the
#      extension for a 1-invocation scenario, which is mostly init, by shared object and symbol;
#   2. for a dynamically linked build, the dynamic loader's own statistics (LD_DEBUG=statistics);
#   3. resident memory by mapping (/proc/PID/smaps) while an invocation runs.
# usage: scripts/bench_profile.sh [OUTDIR]   (default Benchmarks/results/profile)
# EXTENSION=path profiles that binary (make bench: the layer's); default `make release`'s.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$(cd "$root" && swift build -c release --show-bin-path)
extension=${EXTENSION:-$bin/elastic-apm-lambda-extension}
sim="$bin/lambda-sim"
out=${1:-$root/Benchmarks/results/profile}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

printf '%s\n' '{"functionName": "bench", "initDurationMs": 0, "invocations": [{"repeat": 1, "durationMs": 2, "spans": 2}]}' > "$work/one.json"
printf '%s\n' '{"functionName": "bench", "initDurationMs": 0, "invocations": [{"repeat": 20, "durationMs": 2, "spans": 20, "compression": "gzip"}, {"repeat": 1, "durationMs": 2500, "spans": 20, "compression": "gzip"}]}' > "$work/long.json"

# The simulator names the extension after its file: the wrappers keep the real name.
mkdir -p "$work/perf" "$work/ld" "$work/smaps"
cat > "$work/perf/elastic-apm-lambda-extension" <<WRAP
#!/bin/sh
exec perf record -q -e cpu-clock -F 20000 -g -o "$out/perf-init.data" "$extension" "\$@"
WRAP
cat > "$work/ld/elastic-apm-lambda-extension" <<WRAP
#!/bin/sh
LD_DEBUG=statistics LD_DEBUG_OUTPUT="$out/ld-statistics" exec "$extension" "\$@"
WRAP
cat > "$work/smaps/elastic-apm-lambda-extension" <<WRAP
#!/bin/sh
"$extension" "\$@" &
pid=\$!
(sleep 1.2; cat /proc/\$pid/smaps > "$out/smaps.txt"; grep -E 'VmHWM|RssAnon|RssFile|Threads' /proc/\$pid/status > "$out/status.txt") &
wait \$pid
WRAP
chmod +x "$work"/*/elastic-apm-lambda-extension

"$sim" --extension "$work/perf/elastic-apm-lambda-extension" --scenario "$work/one.json" --json "$work/perf.json" > /dev/null 2>&1 || true
echo "== perf: samples by shared object (1 invocation: mostly init) =="
perf report -i "$out/perf-init.data" --no-children --sort dso --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -12
echo "== perf: top symbols =="
perf report -i "$out/perf-init.data" --no-children --sort dso,sym --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -12

if readelf -lW "$extension" | grep -q INTERP; then
    rm -f "$out"/ld-statistics*
    "$sim" --extension "$work/ld/elastic-apm-lambda-extension" --scenario "$work/one.json" --json "$work/ld.json" > /dev/null 2>&1 || true
    echo "== dynamic loader (LD_DEBUG=statistics; cpu MHz $(grep -m1 'cpu MHz' /proc/cpuinfo | cut -d: -f2 | tr -d ' ')) =="
    grep -h 'startup time\|relocation:\|load objects' "$out"/ld-statistics* | sed 's/^ *[0-9]*:\s*//'
    echo "shared objects loaded: $(ldd "$extension" | wc -l)"
else
    echo "== $extension is a static executable: no dynamic loader, no shared objects =="
fi

"$sim" --extension "$work/smaps/elastic-apm-lambda-extension" --scenario "$work/long.json" --json "$work/smaps.json" > /dev/null 2>&1 || true
echo "== resident memory by mapping, during an invocation =="
cat "$out/status.txt"
python3 - "$out/smaps.txt" <<'PY'
import collections, re, sys
rss = collections.Counter(); current = None
for line in open(sys.argv[1]):
    m = re.match(r'^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$', line)
    if m:
        current = m.group(1) or '[anonymous]'
    elif line.startswith('Rss:'):
        rss[current] += int(line.split()[1])
swift = sum(v for k, v in rss.items() if '/swift/' in k and '.so' in k)
print(f"total {sum(rss.values())} KB; Swift runtime shared libraries {swift} KB; the executable "
      f"{sum(v for k, v in rss.items() if k.endswith('elastic-apm-lambda-extension'))} KB; "
      f"anonymous+heap+stacks {sum(v for k, v in rss.items() if k.startswith('['))} KB")
for name, kb in rss.most_common(15):
    print(f"{kb:7d} KB  {name}")
PY
