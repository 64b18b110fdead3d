#!/usr/bin/env bash
# Runs a browser test (page_test.mjs: the drawing page; report_test.mjs: the report page) in
# headless Chromium when what it needs is here; exits 77 (skipped) naming what is missing
# otherwise. scripts/test.sh installs all of it.
#   run.sh page_test.mjs MNIST MODEL_FILE DIGIT_IMAGE WORK_DIR
#   run.sh report_test.mjs MNIST DATA_DIR WORK_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v node >/dev/null; then
  echo "SKIP: node not found (Node.js runs the WebDriver client; scripts/setup.sh installs npm)"
  exit 77
fi
if [ ! -d "$here/node_modules/selenium-webdriver" ]; then
  echo "SKIP: selenium-webdriver not installed (npm ci --prefix tests/browser; scripts/test.sh runs it)"
  exit 77
fi
script=$1
shift
exec node "$here/$script" "$@"
