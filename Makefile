# Two commands for a new user: `make demo` and `make test`.
VENV ?= .venv

.PHONY: setup demo test test-fast serve lock extractor-model

setup:
	bash scripts/setup.sh

# Sets up, builds the demo county, ingests samples/, recognizes them with the real models,
# and serves the app on http://127.0.0.1:5000 with the review queue filled.
demo: setup
	$(VENV)/bin/minxin demo

# Every test: fast unit tests, real-model tests (slow), browser tests, and the scale
# group against PostgreSQL, Redis and Celery.
test: setup
	bash .ci/services.sh
	$(VENV)/bin/python -m pytest -p no:cacheprovider -n auto --dist loadfile

# Without the real models, the browser and the services: a quick check while coding.
test-fast:
	$(VENV)/bin/python -m pytest -p no:cacheprovider -m "not slow and not browser and not scale"

serve:
	$(VENV)/bin/minxin serve

# After changing a dependency in pyproject.toml (or to take newer releases on purpose):
# regenerate requirements.lock, then `make test`, and commit both files together.
lock:
	bash scripts/lock.sh

# The extractor's base sequence model and calibration (recognize/extract/data/), trained offline
# from every labelled note: tests/data, the shared dev cases and the helpers' train_* notes.
extractor-model:
	$(VENV)/bin/python scripts/train_extractor_model.py
