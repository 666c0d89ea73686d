#!/bin/sh
# Installs ipc from a release (docs/install.md):
#
#   curl -fsSL https://github.com/<owner>/<repo>/releases/latest/download/install.sh | sh
#
# Picks the archive for this OS and CPU, downloads it and SHA256SUMS from the
# release, checks the archive's SHA-256 before anything from it runs, and puts
# `ipc` into ~/.local/bin (or IPC_INSTALL_DIR). On any failure, a checksum
# mismatch included, nothing is installed.
#
# Environment:
#   IPC_INSTALL_DIR   where to put `ipc` (default: ~/.local/bin)
#   IPC_INSTALL_BASE  URL of the folder holding SHA256SUMS and the archives
#                     (a mirror; default: the release this script came from)
#
# Archive names and layout come from build.ts: ipc-<version>-<target>.tar.gz
# holding ipc-<version>-<target>/ipc, listed in SHA256SUMS as `<hex>  <file>`.
set -eu

# Stamped by .github/workflows/release.yml with the release's download URL.
DEFAULT_BASE=""

say() { printf '%s\n' "$*" >&2; }
die() {
  say "ipc install: $*"
  exit 1
}

# Detects this machine's release target (the names in build/targets.ts).
detect_target() {
  os=$(uname -s 2>/dev/null || echo unknown)
  arch=$(uname -m 2>/dev/null || echo unknown)
  case "$os" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    MINGW* | MSYS* | CYGWIN* | Windows*)
      die "on Windows, download ipc-<version>-windows-x64.zip from the release and check it against SHA256SUMS (docs/install.md), or use npm: npx -y agent-ipc" ;;
    *) die "no ipc release binary for the OS '$os': build from source (docs/install.md), or use npm: npx -y agent-ipc" ;;
  esac
  case "$arch" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) die "no ipc release binary for the CPU '$arch' on $os: build from source (docs/install.md), or use npm: npx -y agent-ipc" ;;
  esac
  # A shell under Rosetta 2 reports x86_64 on Apple silicon: the native binary is better.
  if [ "$os" = darwin ] && [ "$arch" = x64 ] && [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || echo 0)" = 1 ]; then
    arch=arm64
  fi
  libc=""
  if [ "$os" = linux ] && is_musl; then
    [ "$arch" = x64 ] || die "no ipc release binary for Linux $arch with musl libc: build from source (docs/install.md), or use npm: npx -y agent-ipc"
    libc="-musl"
  fi
  echo "$os-$arch$libc"
}

is_musl() {
  for f in /lib/ld-musl-*.so.1; do [ -e "$f" ] && return 0; done
  ldd --version 2>&1 | grep -qi musl
}

# download URL FILE
download() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --proto '=https,http' -o "$2" "$1" || die "could not download $1 (curl exit $?)"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O "$2" "$1" || die "could not download $1 (wget exit $?)"
  else
    die "needs curl or wget to download $1"
  fi
}

# sha256 FILE: prints the file's SHA-256 in lowercase hex.
sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d' ' -f1
  elif command -v openssl >/dev/null 2>&1; then
    openssl dgst -sha256 "$1" | sed 's/^.*= *//'
  else
    die "needs sha256sum, shasum or openssl to check the download"
  fi
}

main() {
  target=$(detect_target)
  base=${IPC_INSTALL_BASE:-$DEFAULT_BASE}
  [ -n "$base" ] || die "this install.sh does not come from a release, so it does not know where to download from: set IPC_INSTALL_BASE to the release's download URL, or run the install.sh attached to a release"
  base=${base%/}
  dir=${IPC_INSTALL_DIR:-${HOME:?HOME is not set: set IPC_INSTALL_DIR}/.local/bin}

  tmp=$(mktemp -d 2>/dev/null || mktemp -d -t ipc-install)
  trap 'rm -rf "$tmp"' EXIT
  trap 'exit 130' INT TERM

  download "$base/SHA256SUMS" "$tmp/SHA256SUMS"
  # The one `<hex>  ipc-<version>-<target>.tar.gz` line; the name must be plain (no paths).
  line=$(grep -E "^[0-9a-fA-F]{64}  ipc-[0-9A-Za-z.+-]+-$target\.tar\.gz\$" "$tmp/SHA256SUMS" || true)
  [ -n "$line" ] || die "the release at $base has no archive for $target (SHA256SUMS lists: $(tr '\n' ' ' <"$tmp/SHA256SUMS"))"
  [ "$(printf '%s\n' "$line" | wc -l | tr -d ' ')" = 1 ] || die "SHA256SUMS at $base lists more than one archive for $target"
  expected=$(printf '%s' "$line" | cut -d' ' -f1 | tr 'A-F' 'a-f')
  archive=$(printf '%s' "$line" | cut -d' ' -f3)

  say "downloading $archive"
  download "$base/$archive" "$tmp/$archive"
  actual=$(sha256 "$tmp/$archive")
  [ "$actual" = "$expected" ] || die "checksum mismatch for $archive: SHA256SUMS says $expected, the download is $actual. Nothing was installed; try again, or report it if it persists"

  mkdir "$tmp/unpacked"
  tar -xzf "$tmp/$archive" -C "$tmp/unpacked" || die "could not unpack $archive"
  bin="$tmp/unpacked/${archive%.tar.gz}/ipc"
  if [ ! -f "$bin" ] || [ -L "$bin" ]; then die "$archive has no ${archive%.tar.gz}/ipc"; fi

  mkdir -p "$dir" || die "cannot create $dir: set IPC_INSTALL_DIR to a folder you can write"
  # Copy next to the target, then rename over it: a running ipc keeps its file.
  cp "$bin" "$dir/.ipc.install.$$" || die "cannot write to $dir: set IPC_INSTALL_DIR to a folder you can write"
  chmod 755 "$dir/.ipc.install.$$"
  mv -f "$dir/.ipc.install.$$" "$dir/ipc" || {
    rm -f "$dir/.ipc.install.$$"
    die "cannot replace $dir/ipc"
  }

  say "installed $("$dir/ipc" --version) to $dir/ipc"
  case ":${PATH:-}:" in
    *":$dir:"*) say "run: ipc --help" ;;
    *)
      say "$dir is not on your PATH. Add it, then open a new shell:"
      say "  sh, bash, zsh: echo 'export PATH=\"$dir:\$PATH\"' >> ~/.profile   (zsh reads ~/.zshrc; bash may read ~/.bashrc)"
      say "  fish:          fish_add_path $dir"
      ;;
  esac
}

main "$@"
