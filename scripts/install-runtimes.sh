#!/usr/bin/env bash
# Install the pinned real runtimes the real-runtime tests run (test/runtimes/) into a
# cache OUTSIDE the clone, one npm prefix per runtime, reused when already complete.
#   MOSAIC_RUNTIMES_CACHE  where the cache lives (default /var/cache/mosaic-runtimes,
#                          or ~/.cache/mosaic-runtimes when that is not writable)
# Prints the directory it prepared (…/<hash of the pinned list>) on its last line; the
# tests find it the same way (test/runtimes/runtimes-support.ts).
#   --check   install nothing: print the directory if every runtime is there, else exit 1
set -euo pipefail
check=""
[ "${1:-}" = "--check" ] && check=1

# name=package@version, one per line. The hash of this list names the cache directory,
# so changing a pin installs afresh next to the old one.
PINS='claude=@anthropic-ai/claude-code@2.1.197
claude-old=@anthropic-ai/claude-code@2.0.76
codex=@openai/codex@0.171.0
opencode=opencode-ai@1.18.33
pi=@mariozechner/pi-coding-agent@0.73.1'

base="${MOSAIC_RUNTIMES_CACHE:-}"
if [ -z "$base" ]; then
  base=/var/cache/mosaic-runtimes
  if ! { [ -n "$check" ] && [ -d "$base" ]; } && { ! mkdir -p "$base" 2>/dev/null || [ ! -w "$base" ]; }; then base="${XDG_CACHE_HOME:-$HOME/.cache}/mosaic-runtimes"; fi
fi
hash="$(printf '%s\n' "$PINS" | sha256sum | cut -c1-12)"
dir="$base/$hash"
[ -n "$check" ] || mkdir -p "$dir"

started=$(date +%s)
while IFS='=' read -r name spec; do
  [ -n "$name" ] || continue
  if [ -f "$dir/$name/.complete" ]; then
    [ -n "$check" ] || echo "runtime $name ($spec): cached in $dir/$name" >&2
    continue
  fi
  if [ -n "$check" ]; then
    echo "runtime $name ($spec) is not installed in $dir (run scripts/install-runtimes.sh)" >&2
    exit 1
  fi
  echo "runtime $name ($spec): installing into $dir/$name" >&2
  # Installed in place (postinstall scripts may record absolute paths); `.complete`
  # is written last, so an interrupted install is started over, never reused.
  rm -rf "$dir/$name"
  mkdir -p "$dir/$name"
  # No audit, no funding notice, no update check: only the packages themselves.
  npm install --prefix "$dir/$name" --no-audit --no-fund --no-update-notifier \
    --loglevel=error --no-save "$spec" >&2
  echo "$spec" >"$dir/$name/.complete"
done <<<"$PINS"
[ -n "$check" ] || echo "runtimes ready in $(($(date +%s) - started)) s, $(du -sh "$dir" | cut -f1) in $dir" >&2
echo "$dir"
