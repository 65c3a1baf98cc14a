#!/usr/bin/env bash
# The test job: set up whatever is missing, then run the whole test suite with every
# runtime required (a test that would skip an absent runtime fails instead).
# Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

bash ci/setup.sh
export HARNESS_REQUIRE_RUNTIMES="${HARNESS_REQUIRE_RUNTIMES:-1}"
cargo test --workspace "$@"
