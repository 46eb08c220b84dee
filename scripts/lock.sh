#!/usr/bin/env bash
# Regenerates requirements.lock from pyproject.toml (run after changing a dependency, or to
# take newer releases on purpose; then run `make test` and commit both files together).
# uv resolves for CPython 3.11 on x86_64 Linux with hashes; torch comes from the local CPU wheel.
set -euo pipefail
cd "$(dirname "$0")/.."
tool=${MINXIN_LOCK_VENV:-/tmp/minxin-lock-venv}
UV_VERSION=0.13.10
if [ ! -x "$tool/bin/uv" ] || [ "$("$tool/bin/uv" --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
  python3 -m venv "$tool"
  "$tool/bin/pip" install -q "uv==$UV_VERSION"
fi
"$tool/bin/uv" pip compile pyproject.toml --extra test --generate-hashes \
  --find-links /opt/wheels --constraint scripts/lock-constraints.txt \
  --python-version 3.11.7 --python-platform x86_64-manylinux_2_28 \
  --custom-compile-command "make lock" --quiet -o requirements.lock
echo "requirements.lock: $(grep -c '^[A-Za-z0-9].*==' requirements.lock) packages pinned"
