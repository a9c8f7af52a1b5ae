#!/usr/bin/env bash
# Retake every screenshot README.md shows, each in a real X11 window (Xvfb), with the
# parameters its caption describes. Run from the repository's root:
#     bash resources/screenshots/retake.sh [NAME ...]     (no NAME: all of them)
# Then look at each one: a picture nobody looked at is not done.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=resources/screenshots

# name | arguments of `mpgui screenshot` (the scenario first)
shots=(
  "process-basics-running|process-basics --at 0.9"
  "process-basics-done|process-basics"
  "pool-map-running|pool-map --set tasks=60 --at 3.8"
  "pool-map-done|pool-map"
  "shared-memory-running|shared-memory --at 1.2"
  "shared-memory-done|shared-memory"
  "counter-race-running|counter-race --at 0.6"
  "counter-race-done|counter-race"
  "manager-list-running|manager-list --at 1.0"
  "manager-list-done|manager-list"
  "lock-print-running|lock-print --at 0.5"
  "lock-print-done|lock-print"
  "queue-logging-running|queue-logging --start-method spawn --at 2.4"
  "queue-logging-done|queue-logging --start-method spawn"
  "start-methods-done|start-methods"
  "threads-vs-processes-running|threads-vs-processes --at 12.2"
  "threads-vs-processes-done|threads-vs-processes"
  "file-processing-running|file-processing --at 2.8"
  "file-processing-done|file-processing"
  "when-not-to-running|when-not-to --at 4"
  "when-not-to-done|when-not-to"
  "web-fetch-running|web-fetch --at 4.3"
  "web-fetch-done|web-fetch"
  "rate-limit-running|rate-limit --at 5"
  "rate-limit-done|rate-limit"
  "worker-failures-pool|worker-failures --set failure=segfault --set api=Pool"
  "worker-failures-executor|worker-failures --set failure=segfault --set api=ProcessPoolExecutor"
  "projector-1024x768|counter-race --size 1024x768"
  "presentation-1024x768|counter-race --size 1024x768 --present"
  "light-1024x768|pool-map --size 1024x768 --theme light"
)

for shot in "${shots[@]}"; do
  name="${shot%%|*}"
  args="${shot#*|}"
  if [ "$#" -gt 0 ] && [[ ! " $* " == *" $name "* ]]; then
    continue
  fi
  echo "$name: mpgui screenshot $args"
  rm -f "$out/$name.png"
  # A shot of a failing run (worker-failures) exits 1 after saving it: the file decides.
  # shellcheck disable=SC2086 # the arguments are meant to split
  env -u QT_QPA_PLATFORM xvfb-run -a -s "-screen 0 1600x1000x24" \
    uv run mpgui screenshot $args --out "$out/$name.png" || true
  [ -s "$out/$name.png" ] || { echo "$name: no screenshot was saved" >&2; exit 1; }
done
