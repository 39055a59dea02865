#!/usr/bin/env bash
# Regenerates, from a run on this machine, the README's Performance table,
# its Rate-limit table and docs/ratelimit.svg, and prints the machine.
#
#   scripts/perf-report.sh          # headline figures only (a few minutes)
#   scripts/perf-report.sh --full   # also criterion's own groups (longer)
#
# The figures come from the headline lines of `cargo bench` (benches/overhead.rs,
# users.rs, ratelimit.rs: `name=value key=value ...`) and from
# `cargo run --example ratelimit_sim -- --markdown --svg docs/ratelimit.svg`.
# The tables are written between the marker comments in README.md
# (perf-table, ratelimit-table). Benchmarks on a busy machine are noisy:
# the ratios are measured side by side in one run, but compare runs with
# the load average printed here in mind; the instruction counts (valgrind,
# when installed) do not depend on it.
set -euo pipefail
cd "$(dirname "$0")/.."

full=0
[[ "${1:-}" == "--full" ]] && full=1

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -1)
cores=$(nproc 2>/dev/null || echo '?')
load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?'; }
load_start=$(load)
rustc_v=$(rustc --version | cut -d' ' -f2)
echo "machine: ${cpu:-unknown CPU}, ${cores} cores, load average ${load_start} (1/5/15 min), rustc ${rustc_v}"

out=target/perf-report
mkdir -p "$out" docs
log="$out/bench.log"
# Criterion runs only the groups matching a filter: one matching nothing
# leaves the headline lines, which every bench prints first.
filter=()
(( full )) || filter=(-- headlines-only)
cargo bench --all-features --bench overhead --bench users --bench ratelimit "${filter[@]}" | tee "$log"
# The time and CPU ratios move between runs on a shared machine (by up to
# 0.1 on a 2-core VM): two more runs of those alone, and the table gives
# the median of the three with the other two beside it.
for run in 2 3; do
  OPSGENIE_USERS_BENCH_TIMES_ONLY=1 cargo bench --all-features --bench overhead -- headlines-only \
    | tee "$out/times-$run.log"
done
# One run's CPU ratio is good to about +-0.1 on a 2-core VM (the hand-written
# client against itself, 40 runs: 0.81-1.17): the CPU rows take the median
# of the three runs above and of PERF_REPORT_CPU_RUNS more of the CPU part
# alone (about 8 s each).
cpu_runs=${PERF_REPORT_CPU_RUNS:-20}
cpu_logs=("$log" "$out/times-2.log" "$out/times-3.log")
rm -f "$out"/cpu-*.log
for ((run = 1; run <= cpu_runs; run++)); do
  OPSGENIE_USERS_BENCH_CPU_ONLY=1 cargo bench --quiet --all-features --bench overhead -- headlines-only \
    > "$out/cpu-$run.log"
  cpu_logs+=("$out/cpu-$run.log")
  grep -h "^cpu_ratio_8_tasks=\|^connections_8_tasks=" "$out/cpu-$run.log" | paste -sd' '
done
cargo run --release --quiet --all-features --example ratelimit_sim -- --markdown --svg docs/ratelimit.svg \
  > "$out/ratelimit.md"
load_end=$(load)

# `get NAME [KEY]`: the value of headline NAME, or of KEY on NAME's line.
get() {
  local line
  line=$(grep -m1 "^$1=" "$log") || { echo "missing headline $1 in $log" >&2; exit 1; }
  if [[ $# -eq 1 ]]; then
    sed -E "s/^$1=([^ ]*).*/\1/" <<<"$line"
  else
    grep -oE "(^| )$2=[^ ]*" <<<"$line" | head -1 | cut -d= -f2
  fi
}
ratio() { awk -v r="$1" 'BEGIN { printf "%.2f×", r }'; }
# `median NAME [FILE...]`: of headline NAME's runs (in FILEs; default the
# three whole runs), the line of the median ratio (`name=value key=value ...`)
# followed by ` runs=a/b/c` (all of them, sorted; an odd number of runs).
median() {
  local name=$1 lines runs
  shift
  (( $# )) || set -- "$log" "$out/times-2.log" "$out/times-3.log"
  lines=$(for f in "$@"; do
    grep -m1 "^$name=" "$f" || { echo "missing headline $name in $f" >&2; exit 1; }
  done | sort -t= -k2 -g)
  runs=$(sed -E "s/^$name=([^ ]*).*/\1/" <<<"$lines" | paste -sd/)
  echo "$(sed -n "$(( ($# + 1) / 2 ))p" <<<"$lines") runs=$runs"
}
# `counted_call C`: what the valgrind rows of call C (get, create, 8_tasks) count.
counted_call() {
  case $1 in
    get) echo "Get a user" ;;
    create) echo "Create a user" ;;
    8_tasks) echo "Create a user, 8 tasks" ;;
  esac
}
# `mget LINE KEY`: the value of KEY on LINE (the headline's own value for `=`).
mget() {
  if [[ "$2" == "=" ]]; then
    sed -E 's/^[^=]*=([^ ]*).*/\1/' <<<"$1"
  else
    grep -oE "(^| )$2=[^ ]*" <<<"$1" | head -1 | cut -d= -f2
  fi
}
# `mratio LINE`: the median ratio with its runs, e.g. `1.07× (runs 1.04/1.07/1.10)`,
# or with more than three the range, `1.10× (23 runs, 0.94-1.27)`.
# Rounded by awk (double precision): bash's printf rounds in long
# double, so 1.095 came out as 1.10 beside a run printed as 1.09.
mratio() {
  awk -v m="$(mget "$1" =)" -v runs="$(mget "$1" runs)" \
    'BEGIN { n = split(runs, r, "/")
      if (n == 3) printf "%.2f× (runs %.2f/%.2f/%.2f)", m, r[1], r[2], r[3]
      else printf "%.2f× (%d runs, %.2f-%.2f)", m, n, r[1], r[n] }'
}
mib() { [[ "$1" == n/a ]] && echo n/a || awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }

{
  echo "Measured by \`scripts/perf-report.sh\` on ${cpu:-an unknown CPU}, ${cores} cores, load average ${load_start%% *} at the start and ${load_end%% *} at the end, rustc ${rustc_v}, $(date -u +%Y-%m-%d). The hand-written client is reqwest + serde_json with the same headers (but the User-Agent the SDK adds) and typed decoding, against the same local server in the same run (the server runs in a child process); time ratios are medians of 1,500 interleaved rounds of two calls a side (300 for the list page), the CPU ratios the medians of 9 reps of 4,000 creates a side (the four sides in turn); each time ratio is the median of three runs (the three beside it), each CPU ratio the median of $(( 3 + cpu_runs )) runs (the three and ${cpu_runs} of the CPU part alone; their range beside it), the times and CPU those of the median run."
  echo
  echo "| Measure | SDK | Hand-written / reference | Ratio (target) |"
  echo "|---|---|---|---|"
  for c in get create list; do
    case $c in
      get) what="Get a user, time per call" ;;
      create) what="Create a user, time per call" ;;
      list) what="List Users page of 100, time per call" ;;
    esac
    m=$(median "overhead_ratio_$c")
    echo "| $what | $(mget "$m" sdk_us) µs | $(mget "$m" raw_us) µs | $(mratio "$m") (≤ 1.05×) |"
  done
  m=$(median cpu_ratio_8_tasks "${cpu_logs[@]}")
  echo "| Create, CPU (user + system) per call, 8 tasks | $(mget "$m" sdk_cpu_us) µs | $(mget "$m" raw_cpu_us) µs | $(mratio "$m") (≤ 1.1×) |"
  m=$(median cpu_ratio_8_tasks_unlimited "${cpu_logs[@]}")
  echo "| Same, the SDK's rate limiter replaced by \`Unlimited\` (where the gap goes, not a setting to copy) | $(mget "$m" sdk_cpu_us) µs | $(mget "$m" raw_cpu_us) µs | $(mratio "$m") |"
  m=$(median cpu_ratio_8_tasks_same "${cpu_logs[@]}")
  echo "| Same, hand-written against hand-written (the measurement's own spread) | $(mget "$m" again_cpu_us) µs | $(mget "$m" raw_cpu_us) µs | $(mratio "$m") |"
  for c in get create 8_tasks; do
    what=$(counted_call "$c")
    r=$(get "instructions_ratio_$c")
    [[ "$r" == n/a ]] && r="n/a ($(get "instructions_ratio_$c" why))" || r=$(ratio "$r")
    echo "| $what, instructions per call (valgrind; load does not move it) | $(get "instructions_ratio_$c" sdk) | $(get "instructions_ratio_$c" raw) | $r |"
  done
  for c in get create 8_tasks; do
    what=$(counted_call "$c")
    r=$(get "l1_misses_ratio_$c")
    if [[ "$r" == n/a ]]; then
      echo "| $what, L1 cache misses per call (valgrind's simulated cache) | n/a | n/a | n/a ($(get "l1_misses_ratio_$c" why)) |"
    else
      echo "| $what, L1 cache misses per call, data + instruction (valgrind's simulated cache) | $(get "l1_misses_ratio_$c" sdk) ($(get "l1_misses_ratio_$c" sdk_d1) + $(get "l1_misses_ratio_$c" sdk_i1)) | $(get "l1_misses_ratio_$c" raw) ($(get "l1_misses_ratio_$c" raw_d1) + $(get "l1_misses_ratio_$c" raw_i1)) | $(ratio "$r") |"
    fi
  done
  # Each run gives the most of its 9 reps; the row counts the runs by it.
  conns=$(grep -h "^connections_8_tasks=" "${cpu_logs[@]}")
  tally() {
    sed -E "s/.*(^| )$1=([0-9]+).*/\2/" <<<"$conns" | sort -n | uniq -c \
      | awk '{ printf "%s%s in %s", (NR > 1 ? ", " : ""), $2, $1 }'
  }
  echo "| Create, TCP connections opened, 8 tasks (the most of a run's 9 reps of 4,000 creates; $(( 3 + cpu_runs )) runs: connections in runs) | $(tally connections_8_tasks) | $(tally raw) | (≤ 9) |"
  echo "| Heap allocations per call: get / create / list page | $(get allocs_per_call_get) / $(get allocs_per_call_create) / $(get allocs_per_call_list) | $(get allocs_per_call_get raw) / $(get allocs_per_call_create raw) / $(get allocs_per_call_list raw) | |"
  echo "| Decode one user (page of 100) | $(get decode_per_user_ns) ns | $(get decode_per_user_ns plain_ns) ns (plain serde_json) | |"
  echo "| Stream 1,000 / 100,000 users, peak RSS of the process | $(mib "$(get stream_peak_rss_kb_1000)") / $(mib "$(get stream_peak_rss_kb_100000)") | | |"
  echo "| Rate-limit permit, acquire + complete, uncontended | $(get permit_uncontended_ns) ns (limits unknown) | $(get permit_uncontended_ns known_ns) ns known, $(get permit_uncontended_ns unlimited_ns) ns \`Unlimited\` | |"
  echo "| Same, 64 tasks on one bucket, per permit (spawn included) | $(get permit_64_tasks_ns) ns (limits unknown) | $(get permit_64_tasks_ns known_ns) ns known, $(get permit_64_tasks_ns unlimited_ns) ns \`Unlimited\` | |"
} > "$out/perf.md"

# Replaces the lines between <!-- NAME:start --> and <!-- NAME:end --> in README.md.
splice() {
  local name=$1 file=$2
  grep -q "<!-- $name:start -->" README.md || { echo "README.md has no $name markers" >&2; exit 1; }
  awk -v name="$name" -v file="$file" '
    $0 == "<!-- " name ":start -->" { print; while ((getline l < file) > 0) print l; skip = 1; next }
    $0 == "<!-- " name ":end -->" { skip = 0 }
    !skip { print }
  ' README.md > "$out/README.md.new"
  mv "$out/README.md.new" README.md
}
splice perf-table "$out/perf.md"
splice ratelimit-table "$out/ratelimit.md"

echo
cat "$out/perf.md"
echo
cat "$out/ratelimit.md"
echo
echo "README.md tables and docs/ratelimit.svg regenerated; machine: ${cpu:-unknown CPU}, ${cores} cores, load average ${load_start} -> ${load_end}"
