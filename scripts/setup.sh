#!/usr/bin/env bash
# Sets up everything the project needs on a fresh Debian machine: system packages (when root),
# the Python virtualenv with the CPU build of torch, the project itself, and npm packages for
# the browser tests. Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${MINXIN_VENV:-.venv}
PY=${PYTHON:-python3}

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium chromium-driver)
# Handwriting-style fonts for rendering test pages (LXGW WenKai: SIL OFL; AR PL UKai: Arphic).
[ -e /usr/share/fonts/truetype/arphic/ukai.ttc ] || need_apt+=(fonts-arphic-ukai)
dpkg -s fonts-lxgw-wenkai >/dev/null 2>&1 || need_apt+=(fonts-lxgw-wenkai)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "==> apt-get install ${need_apt[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "!! not root: install these Debian packages yourself: ${need_apt[*]}" >&2
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating $VENV"
  "$PY" -m venv "$VENV"
fi

# Every package at the version and hash requirements.lock names (made by `make lock` from
# pyproject.toml): the same install on every machine, today and in a year. torch is the local
# CPU build (a bare `torch` requirement would pull a multi-GB CUDA build).
stamp="$VENV/.minxin-installed"
if [ ! -f "$stamp" ] || [ requirements.lock -nt "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "==> pip install -r requirements.lock, then the project"
  "$VENV/bin/python" -m pip install -q "pip==26.3"
  "$VENV/bin/pip" install -q --require-hashes -r requirements.lock
  "$VENV/bin/pip" install -q --no-deps --no-build-isolation -e .
  "$VENV/bin/pip" check
  touch "$stamp"
fi

if [ -d webapp/translations ]; then
  "$VENV/bin/pybabel" compile --statistics -d webapp/translations 2>&1 | tail -n 1
fi

if [ -f package.json ] && command -v npm >/dev/null 2>&1; then
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
    echo "==> npm ci"
    npm ci --no-audit --no-fund --silent
  fi
fi
echo "==> setup done"
