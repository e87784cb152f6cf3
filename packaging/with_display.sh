#!/usr/bin/env bash
# Run a command with a display: the desktop's when there is one, else a private Xvfb server.
#   bash packaging/with_display.sh COMMAND [ARGS...]
# The private server runs in a session of its own, so Ctrl-C in the terminal reaches the program
# (which closes its windows and exits cleanly) but not the X server under it: an X server killed
# first makes the program print X11 I/O errors on its way out (xvfb-run's server dies with it).
set -uo pipefail

if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  exec "$@"
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/cityops-xvfb.XXXXXX")
mkfifo "$dir/displayfd"
setsid Xvfb -displayfd 3 -screen 0 1920x1200x24 -nolisten tcp 3>"$dir/displayfd" 2>"$dir/xvfb.log" &
xvfb=$!
number=""
read -r number < "$dir/displayfd" || true
if [ -z "$number" ]; then
  echo "packaging/with_display.sh: the private Xvfb server did not start: $(tail -n 1 "$dir/xvfb.log")" >&2
  rm -rf "$dir"
  exit 1
fi
trap ':' INT  # Ctrl-C is the program's to take; this script waits for it, then stops the server
DISPLAY=":$number" "$@"
status=$?
kill "$xvfb" 2>/dev/null
wait "$xvfb" 2>/dev/null
rm -rf "$dir"
exit "$status"
