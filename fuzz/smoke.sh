#!/bin/sh
# A short fuzzing run of the policy front-end, for CI: about a minute of
# `cargo fuzz` per target from the committed seeds. Skips (exit 0) when
# nightly Rust or cargo-fuzz is missing: CI is not meant to depend on
# nightly-only tools.
#
#   fuzz/smoke.sh              # 60 seconds a target
#   SMOKE_SECONDS=300 fuzz/smoke.sh
#
# Exits non-zero if the fuzzer finds a crash; the input is then in
# fuzz/artifacts/TARGET/.
set -eu

seconds="${SMOKE_SECONDS:-60}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

skip() {
    echo "fuzz smoke test skipped: $1"
    exit 0
}

command -v cargo >/dev/null 2>&1 || skip "cargo is not installed"
cargo +nightly --version >/dev/null 2>&1 ||
    skip "no nightly toolchain (rustup toolchain install nightly)"
cargo +nightly fuzz --version >/dev/null 2>&1 ||
    skip "cargo-fuzz is not installed (cargo install cargo-fuzz)"

# A scratch corpus, so the smoke run neither grows nor depends on fuzz/corpus.
corpus="$(mktemp -d "${TMPDIR:-/tmp}/seccomp-policy-smoke.XXXXXX")"
trap 'rm -rf "$corpus"' EXIT
trap 'exit 130' INT TERM

# Inputs that once crashed the target are replayed first, with the seeds.
dirs="fuzz/seeds"
if [ -d fuzz/regressions ]; then
    dirs="$dirs fuzz/regressions"
fi

# policy_file: the command-line tool's reading and compiling of a file.
for target in policy_frontend policy_file; do
    echo "fuzzing $target for ${seconds}s (after the build)"
    mkdir -p "$corpus/$target"
    cargo +nightly fuzz run "$target" "$corpus/$target" $dirs -- \
        -max_total_time="$seconds" \
        -dict=fuzz/policy.dict \
        -max_len=8192 \
        -timeout=30 \
        -print_final_stats=1
done
