#!/usr/bin/env bash
# Coverage-guided fuzzing of the input parsers (cargo-fuzz / libFuzzer), for a
# bounded time per target. Fails when a target crashes (a panic, an abort),
# hangs (one input over 10 s), or passes its memory bound (2 GiB resident, or
# one allocation over 1 GiB), and prints the saved input.
#
#   scripts/fuzz.sh                      # every target, 60 s each
#   FUZZ_SECONDS=300 scripts/fuzz.sh xlsx
#
# Targets (fuzz/fuzz_targets/): csv_values (input::decode + read_values),
# xlsx (sheets::read_xlsx), plan (plan::load). Seeds are in fuzz/corpus/<target>/;
# the inputs a run discovers go to a scratch directory and are thrown away.
# Inputs that once crashed are kept in fuzz/regressions/<target>/ and are run
# first, every time. A crashing input is saved to fuzz/artifacts/<target>/
# (ignored by git); replay one with
#   target/x86_64-unknown-linux-gnu/release/<target> FILE
# (ANJU_FUZZ_SHOW=1 prints what the input read as).
#
# Works on the pinned stable toolchain: RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass
# its -Z flags, and --sanitizer none (the code has no unsafe) needs no
# nightly-only sanitizer runtime. cargo-fuzz is installed when missing.
#
# Environment: FUZZ_SECONDS (60), FUZZ_TIMEOUT (10, seconds per input),
# FUZZ_RSS_MB (2048), FUZZ_MALLOC_MB (1024; libFuzzer enforces it only under
# a sanitizer, so the targets' allocator enforces 1024 MiB itself),
# CARGO_FUZZ_VERSION (^0.13).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"

secs="${FUZZ_SECONDS:-60}"
per_input="${FUZZ_TIMEOUT:-10}"
rss_mb="${FUZZ_RSS_MB:-2048}"
malloc_mb="${FUZZ_MALLOC_MB:-1024}"
all_targets=(csv_values xlsx plan)
if [ "$#" -gt 0 ]; then targets=("$@"); else targets=("${all_targets[@]}"); fi

export RUSTC_BOOTSTRAP=1
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export RUST_BACKTRACE="${RUST_BACKTRACE:-1}"
triple="$(rustc -vV | sed -n 's/^host: //p')"
# The repository's own target dir: dependencies already fetched, and the
# fuzz build (instrumented, for $triple) lands in target/$triple/release.
target_dir="$repo/target"
bin_dir="$target_dir/$triple/release"

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  nice -n 10 cargo install cargo-fuzz --locked --version "${CARGO_FUZZ_VERSION:-^0.13}"
fi
cargo fuzz --version

echo "== building the fuzz targets (release, --sanitizer none)"
start=$SECONDS
for t in "${targets[@]}"; do
  nice -n 10 cargo fuzz build --fuzz-dir "$repo/fuzz" --target-dir "$target_dir" \
    --target "$triple" --sanitizer none "$t"
done
echo "built in $((SECONDS - start)) s"

scratch="$(mktemp -d "${TMPDIR:-/tmp}/anju-fuzz.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

# Prints an input libFuzzer saved: where it is, its size, its first bytes.
show_input() {
  local f="$1"
  echo "  input: $f ($(wc -c <"$f") bytes), first 256 bytes:"
  head -c 256 "$f" | od -A x -t x1z -v | sed 's/^/    /'
}

failed=()
summary=()
for t in "${targets[@]}"; do
  bin="$bin_dir/$t"
  log="$scratch/$t.log"
  artifacts="$repo/fuzz/artifacts/$t"
  mkdir -p "$artifacts" "$scratch/corpus/$t"
  opts=(-timeout="$per_input" -rss_limit_mb="$rss_mb" -malloc_limit_mb="$malloc_mb"
    -artifact_prefix="$artifacts/")

  # Inputs that crashed before must not crash again.
  regressions=()
  if [ -d "$repo/fuzz/regressions/$t" ]; then
    while IFS= read -r -d '' f; do regressions+=("$f"); done \
      < <(find "$repo/fuzz/regressions/$t" -type f ! -name '*.md' -print0 | sort -z)
  fi
  if [ "${#regressions[@]}" -gt 0 ]; then
    echo "== $t: ${#regressions[@]} regression input(s)"
    if ! nice -n 10 "$bin" "${opts[@]}" "${regressions[@]}" >"$log" 2>&1; then
      echo "!! $t: a regression input fails again:"
      tail -n 60 "$log" | sed 's/^/  /'
      failed+=("$t (regression)")
      summary+=("$t: a saved regression input fails again; not fuzzed")
      continue
    fi
  fi

  echo "== $t: fuzzing for $secs s"
  before="$(find "$artifacts" -type f | sort)"
  rc=0
  run_start=$SECONDS
  # New inputs go to the first directory (scratch); the seeds are only read.
  # The outer timeout is a backstop should libFuzzer itself stop answering.
  nice -n 10 timeout --kill-after=30 "$((secs + per_input + 120))" \
    "$bin" "${opts[@]}" -max_total_time="$secs" -print_final_stats=1 \
    "$scratch/corpus/$t" "$repo/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  took=$((SECONDS - run_start))
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
  # libFuzzer's own average is 0 for a run under a second: count it here.
  rate="$(( ${execs:-0} / (took > 0 ? took : 1) ))"
  peak="$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -n 1)"
  cov="$(grep -E '^#[0-9]+' "$log" | tail -n 1 | sed -n 's/.*\(cov: [0-9]*\).*\(corp: [^ ]*\).*/\1 \2/p')"
  line="$t: exit $rc after ${took} s, ${execs:-?} execs, ~${rate} execs/s, peak RSS ${peak:-?} MB${cov:+, $cov}"
  summary+=("$line")
  echo "$line"
  if [ "$rc" -ne 0 ]; then
    echo "!! $t failed; the end of libFuzzer's output:"
    tail -n 80 "$log" | sed 's/^/  /'
    after="$(find "$artifacts" -type f | sort)"
    new="$(comm -13 <(echo "$before") <(echo "$after") | sed '/^$/d')"
    if [ -n "$new" ]; then
      while IFS= read -r f; do show_input "$f"; done <<<"$new"
    else
      echo "  (no input saved: the run was stopped from outside, or failed to start)"
    fi
    failed+=("$t")
  fi
done

echo "== fuzz summary"
printf '  %s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzzing found problems in: ${failed[*]}" >&2
  exit 1
fi
echo "no crash, hang or memory overrun in ${#targets[@]} target(s)"
