# Set-up and the two entry points the README names: `make demo` and `make test`.
# Everything lands in ./.venv; nothing is installed system-wide except Debian's chromium
# for the browser tests (apt-get, when run as root and chromium is missing).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install browser services converters clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP) converters
	$(BIN)/ogi demo

browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null) \
	      || echo "warning: could not install chromium; browser tests will be skipped"; \
	  else echo "warning: chromium missing and not root; browser tests will be skipped"; fi; }

# redis-server: the distributed-crawl test runs two crawler processes on one Redis.
services:
	@command -v redis-server >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null) \
	      || echo "warning: could not install redis-server; the distributed test will be skipped"; \
	  else echo "warning: redis-server missing and not root; the distributed test will be skipped"; fi; }

# LibreOffice converts .doc/.wps/.rtf to DOCX (archive/convert.py) and writes the sample
# portals' .doc/.wps/.xls; tesseract is the OCR engine benchmarks/bench_forms.py measures
# rapidocr (from PyPI, models in its wheel) against.
converters:
	@command -v soffice >/dev/null 2>&1 && command -v tesseract >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      libreoffice-writer-nogui libreoffice-calc-nogui tesseract-ocr tesseract-ocr-chi-sim fonts-wqy-microhei >/dev/null) \
	      || echo "warning: could not install LibreOffice/tesseract; the sample world and the .doc/.wps tests need them"; \
	  else echo "warning: LibreOffice missing and not root; the sample world and the .doc/.wps tests need it"; fi; }

test: $(STAMP) browser services converters
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) data .pytest_cache
