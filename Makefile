# Assist: make run | make test | make screenshot | make doctor
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

export LITELLM_LOCAL_MODEL_COST_MAP := True

.PHONY: run test screenshot doctor install clean rt-up rt-down pg-up pg-down bench dist tarball

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,encoder]'
	touch $(STAMP)

install: $(STAMP)

## Install and open the window on the embedded demo workspace.
run: $(STAMP)
	bash packaging/system-deps.sh --gui
	$(VENV)/bin/assist

## Install, lint (ruff), type-check (mypy, strict) and run the whole test suite, offscreen.
test: $(STAMP)
	bash packaging/system-deps.sh
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(PYTEST_ARGS)

## Run the app under Xvfb on a fresh demo workspace and write docs/screenshots/*.png (1366x768 and 1920x1080).
screenshot: $(STAMP)
	bash packaging/system-deps.sh --gui
	bash packaging/screenshot.sh docs/screenshots

## A real Request Tracker 5 on 127.0.0.1:18080 for the integration tests (installs it when missing).
rt-up:
	bash packaging/rt/rt-up.sh

rt-down:
	bash packaging/rt/rt-down.sh

## A real PostgreSQL on 127.0.0.1:15432 for the team-store tests (installs it when missing).
pg-up:
	bash packaging/pg/pg-up.sh

pg-down:
	bash packaging/pg/pg-down.sh

## Every benchmark; each prints its targets with a same-run baseline and met / NOT met (docs/performance.md).
## Takes ~25 min on 2 cores (300k-passage KB, 5M-row journal); bm25s is the KB's baseline, not a dependency.
bench: $(STAMP)
	$(PY) -m pip install --quiet "bm25s>=0.2"
	cd benchmarks && ../$(PY) startup.py && ../$(PY) first_token.py && ../$(PY) context.py \
		&& QT_QPA_PLATFORM=offscreen ../$(PY) ui_stall.py && ../$(PY) kb.py && ../$(PY) report.py \
		&& ../$(PY) redaction.py && ../$(PY) routing.py && ../$(PY) drafts_guidelines.py && ../$(PY) team.py

## One-folder app in dist/assist (PyInstaller); `dist/assist/assist --smoke` self-tests it.
dist: $(STAMP)
	$(PY) -m PyInstaller --noconfirm --log-level WARN build.spec

## dist/assist-VERSION-linux-ARCH.tar.gz with install.sh, desktop entry and icons.
tarball: dist
	bash packaging/linux/make-tarball.sh

doctor: $(STAMP)
	$(VENV)/bin/assist doctor

clean:
	rm -rf $(VENV) build dist *.egg-info
