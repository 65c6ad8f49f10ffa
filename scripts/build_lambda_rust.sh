#!/usr/bin/env bash
# Builds the Rust extensions (rust/extension, and the blank one of rust/blank) and the Rust
# function (rust/function) for AWS Lambda (Amazon Linux
# 2023 / provided.al2023, glibc) with cargo-lambda, which links through zig against an old glibc
# so the binaries run on Lambda:
#
#   cargo lambda build --release --extension -p battle-ext-rust --arm64     (aarch64-unknown-linux-gnu)
#   cargo lambda build --release --extension -p battle-ext-rust --x86-64    (x86_64-unknown-linux-gnu)
#
# (the same for battle-ext-blank) and copies each binary to build/lambda/<arch>/<binary> (<arch>:
# arm64 or x86_64), ready
# for a layer's extensions/ folder, and the function's to build/lambda/<arch>/runtimes/rust/bootstrap.
# The host builds for local runs are lib/build/rust.ts and lib/build/functions.ts instead.
#
# Usage: scripts/build_lambda_rust.sh [arm64] [x86_64]      (default: both)
#
# Needs, else it stops with one line saying what is missing:
#   - cargo (rustup.rs) and the Rust standard library of each target
#     (rustup target add aarch64-unknown-linux-gnu x86_64-unknown-linux-gnu);
#   - cargo-lambda: pip install cargo-lambda==1.9.2   (or: cargo install cargo-lambda --locked);
#   - zig: pip install ziglang==0.13.0 (cargo-lambda runs `python3 -m ziglang`), or zig on PATH.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PACKAGES=(battle-ext-rust battle-ext-blank)
FUNCTION_PACKAGE=battle-function
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/rust/target}"

die() {
  echo "build_lambda_rust: $*" >&2
  exit 1
}

triple_of() {
  case "$1" in
    arm64) echo aarch64-unknown-linux-gnu ;;
    x86_64) echo x86_64-unknown-linux-gnu ;;
    *) die "unknown architecture \"$1\" (use arm64 or x86_64)" ;;
  esac
}

flag_of() {
  case "$1" in
    arm64) echo --arm64 ;;
    x86_64) echo --x86-64 ;;
  esac
}

has_target() {
  local sysroot
  sysroot="$(rustc --print sysroot)"
  [ -d "$sysroot/lib/rustlib/$1/lib" ]
}

archs=("$@")
[ ${#archs[@]} -gt 0 ] || archs=(arm64 x86_64)
for arch in "${archs[@]}"; do triple_of "$arch" >/dev/null; done

command -v cargo >/dev/null || die "cargo is not installed (https://rustup.rs)"
cargo lambda --version >/dev/null 2>&1 ||
  die "cargo-lambda is not installed: pip install cargo-lambda==1.9.2 (or cargo install cargo-lambda --locked)"
command -v zig >/dev/null || python3 -m ziglang version >/dev/null 2>&1 ||
  die "zig is not installed: pip install ziglang==0.13.0 (cargo-lambda links through zig)"
for arch in "${archs[@]}"; do
  triple="$(triple_of "$arch")"
  has_target "$triple" ||
    die "the Rust target $triple ($arch) is not installed: rustup target add $triple"
done

for arch in "${archs[@]}"; do
  triple="$(triple_of "$arch")"
  echo "build_lambda_rust: $arch ($triple)" >&2
  # The target folder goes by environment: cargo-lambda hands --target-dir to `cargo metadata`,
  # which refuses it.
  out="$ROOT/build/lambda/$arch"
  mkdir -p "$out"
  for PACKAGE in "${PACKAGES[@]}"; do
    (cd "$ROOT/rust" && CARGO_TARGET_DIR="$TARGET_DIR" cargo lambda build --release --extension \
      -p "$PACKAGE" "$(flag_of "$arch")") || die "cargo lambda build failed for $arch"
    # cargo-lambda puts extensions in <target>/lambda/extensions/ whatever the architecture.
    install -m 0755 "$TARGET_DIR/lambda/extensions/$PACKAGE" "$out/$PACKAGE.tmp"
    mv "$out/$PACKAGE.tmp" "$out/$PACKAGE"
    echo "build_lambda_rust: $out/$PACKAGE ($(stat -c %s "$out/$PACKAGE") bytes)"
  done
  # The Rust function (function runtime `rust`) as a provided.al2023 bootstrap.
  (cd "$ROOT/rust" && CARGO_TARGET_DIR="$TARGET_DIR" cargo lambda build --release \
    -p "$FUNCTION_PACKAGE" "$(flag_of "$arch")") || die "cargo lambda build failed for $arch"
  fn_out="$out/runtimes/rust"
  mkdir -p "$fn_out"
  # cargo-lambda puts functions in <target>/lambda/<binary>/bootstrap.
  install -m 0755 "$TARGET_DIR/lambda/$FUNCTION_PACKAGE/bootstrap" "$fn_out/bootstrap.tmp"
  mv "$fn_out/bootstrap.tmp" "$fn_out/bootstrap"
  echo "build_lambda_rust: $fn_out/bootstrap ($(stat -c %s "$fn_out/bootstrap") bytes)"
done
