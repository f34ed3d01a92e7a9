#!/usr/bin/env bash
# Mutation testing of credgate's security core (issue 18): does the test suite fail when a
# security rule breaks?
#
#   scripts/mutants.sh [GROUP] [FILE...]
#
# GROUP is one of: origin (default), secret, webhook, oauth1, oauth2, all. FILE... narrows
# the group to those files. Environment:
#   FULL=1          run the whole test suite per mutant (default: the group's test targets)
#   BASELINE=run    test the unmutated tree first (default: skip; run it once after a change)
#   JOBS=N          parallel mutants (default 1: this is meant for a small shared machine)
#   TIMEOUT=S       test timeout per mutant in seconds (default 180)
#   MUTANTS_ARGS    extra arguments for cargo mutants (e.g. "-F admits_override")
#
# Results land in target/mutants/GROUP/mutants.out (outcomes.json, caught.txt, missed.txt,
# unviable.txt, timeout.txt); record the per-file figures in scripts/mutants-results.md.
# Equivalent mutants are excluded in .cargo/mutants.toml, each documented beside its code
# with a `// mutants: equivalent because ...` comment.
#
# The default copy mode builds in a scratch copy of the tree, so the working tree is never
# mutated; CARGO_TARGET_DIR points at this checkout's target/ so that the dependencies
# already built there are reused (only credgate itself is rebuilt per mutant).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo mutants --version >/dev/null 2>&1; then
    cargo install --locked cargo-mutants
fi

group="${1:-origin}"
shift || true

case "$group" in
origin)
    files=(src/base_url.rs src/auth/api_key.rs src/auth/basic.rs src/auth/bypass.rs src/auth/mod.rs)
    tests=(--lib --test rules_origin --test rules_secrets --test origin --test foundation
        --test constructors --test registry --test registry_urls --test redacted_placeholder)
    ;;
secret)
    files=(src/secret.rs src/redact.rs src/live.rs src/url_template.rs)
    tests=(--lib --test rules_secrets --test rules_origin --test redacted_placeholder
        --test foundation --test persistence --test serde_errors --test origin --test constructors)
    ;;
webhook)
    files=(src/webhook/verify.rs src/webhook/engine.rs src/webhook/parse.rs
        src/webhook/message.rs src/webhook/sign.rs)
    tests=(--lib --test 'webhook_*' --test rules_webhook --test rules_secrets)
    ;;
oauth1)
    files=(src/auth/oauth1/*.rs)
    tests=(--lib --test 'oauth1*')
    ;;
oauth2)
    files=(src/auth/oauth2/*.rs)
    tests=(--lib --test 'oauth2*' --test registry_oauth2)
    ;;
all)
    "$0" origin "$@"
    "$0" secret "$@"
    "$0" webhook "$@"
    "$0" oauth1 "$@"
    "$0" oauth2 "$@"
    exit 0
    ;;
*)
    echo "unknown group '$group': origin, secret, webhook, oauth1, oauth2 or all" >&2
    exit 2
    ;;
esac
if [ "$#" -gt 0 ]; then
    files=("$@")
fi
if [ "${FULL:-0}" = 1 ]; then
    tests=()
fi

file_args=()
for file in "${files[@]}"; do
    file_args+=(--file "$file")
done
# `--cargo-arg` reaches the build (`cargo test --no-run`) as well as the test run, so only
# the group's test targets are built per mutant.
target_args=()
for arg in ${tests[@]+"${tests[@]}"}; do
    target_args+=("--cargo-arg=$arg")
done

mkdir -p "target/mutants/$group"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
# cargo mutants exits 2 when mutants are missed, 3 on timeouts: report, don't fail.
# shellcheck disable=SC2086
nice -n 19 cargo mutants \
    --jobs "${JOBS:-1}" \
    --baseline "${BASELINE:-skip}" \
    --timeout "${TIMEOUT:-180}" \
    --build-timeout 1800 \
    --output "target/mutants/$group" \
    "${file_args[@]}" \
    ${target_args[@]+"${target_args[@]}"} \
    ${MUTANTS_ARGS:-} || status=$?
# The mutants were built into this checkout's target/ from copies whose files are newer than
# this checkout's: without this, the next `cargo test` here would find the last mutant's
# build of credgate fresh and test it instead of the real code.
touch src/lib.rs
out="target/mutants/$group/mutants.out"
for outcome in caught missed unviable timeout; do
    printf '%-9s %s\n' "$outcome" "$(cat "$out/$outcome.txt" 2>/dev/null | wc -l)"
done
exit "${status:-0}"
