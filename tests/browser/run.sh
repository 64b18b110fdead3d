#!/usr/bin/env bash
# Runs page_test.mjs (the drawing page in headless Chromium) when what it needs is here; exits 77
# (skipped) naming what is missing otherwise. scripts/test.sh installs all of it.
#   run.sh MNIST MODEL_FILE DIGIT_IMAGE WORK_DIR
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
exec node "$here/page_test.mjs" "$@"
