#!/usr/bin/env bash
# Set up everything CityOps Console needs on a Debian/Ubuntu machine, then act:
#   bash packaging/bootstrap.sh demo [cityops demo options]   set up, then start the demo wall
#   bash packaging/bootstrap.sh test [pytest options]         set up, then run the whole test suite
#   bash packaging/bootstrap.sh system                        only install the Debian packages
# Without a display (no $DISPLAY), the wall and the tests run on a private Xvfb server.
set -euo pipefail
cd "$(dirname "$0")/.."

action=${1:-demo}
shift || true

# Qt's xcb plugin needs libxcb-cursor0 and friends (DESIGN.md §6); Xvfb for headless runs.
SYSTEM_PACKAGES=(
  xvfb xauth libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
  libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxcb-xfixes0
  libegl1 libegl-mesa0 libosmesa6 libgl1 libglx-mesa0 libgl1-mesa-dri libfontconfig1 libdbus-1-3 fonts-dejavu-core
  x11-xserver-utils fonts-wqy-microhei desktop-file-utils
  poppler-utils  # pdftotext: the after-action report tests read the PDF back
  mosquitto  # the MQTT source's and the SensorThings tests start throwaway brokers (tests/mosquitto.py)
  nats-server  # the JetStream tier's tests start throwaway servers with -js (tests/natsserver.py)
)

say() { printf '\033[1mcityops setup:\033[0m %s\n' "$*" >&2; }

install_system_packages() {
  local missing=()
  for pkg in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
  done
  python3 -c "import ensurepip" 2>/dev/null || missing+=(python3-venv)
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { say "need root (or sudo) to install: ${missing[*]}"; exit 1; }
    sudo=sudo
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

setup_python() {
  local python=${PYTHON:-python3}
  "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    say "Python 3.11 or newer is needed ($python is $("$python" --version 2>&1))"; exit 1; }
  [ -x .venv/bin/python ] || { say "creating .venv"; "$python" -m venv .venv; }
  # Reinstall only when the requirements changed since the last setup.
  local stamp=.venv/.cityops-installed want
  want=$(cat pyproject.toml packaging/constraints.txt | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "installing Python packages into .venv (pinned by packaging/constraints.txt)"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -c packaging/constraints.txt -e ".[test]"
    echo "$want" > "$stamp"
  fi
}

with_display() {
  bash packaging/with_display.sh "$@"  # the desktop's display, or a private Xvfb that Ctrl-C leaves alone
}

case "$action" in
  system) install_system_packages ;;
  demo)
    install_system_packages; setup_python
    with_display .venv/bin/cityops demo "$@" ;;
  test)
    install_system_packages; setup_python
    # two workers (pytest-xdist), a test file each at a time: the suite in about half the time on two cores;
    # a worker that crashes ends the run at once (a replaced one has been seen to leave the run hanging)
    with_display .venv/bin/python -m pytest -n "${CITYOPS_TEST_WORKERS:-2}" --dist loadfile --max-worker-restart 0 "$@" ;;
  *) say "unknown action '$action' (expected demo, test or system)"; exit 2 ;;
esac
