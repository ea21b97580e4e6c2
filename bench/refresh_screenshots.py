"""Refresh the README's screenshots (assets/screenshots/*.png) from the running app in real Chromium.

Tests never write there (they save into a temporary folder); this command runs the browser tests
that take the README's pictures with BLT_SCREENSHOT_DIR pointed at assets/screenshots. Needs Debian's
chromium and, for real CJK and emoji glyphs, fonts-noto-cjk and fonts-noto-color-emoji (.ci/run
installs all three).

    .venv/bin/python bench/refresh_screenshots.py            # every screenshot test
    .venv/bin/python bench/refresh_screenshots.py -k dark    # extra pytest arguments narrow it down

Look at the new images (both themes, 390 px) before committing them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "assets" / "screenshots"
# The browser tests that save pictures (light and dark theme, a live generation, and Explore's first
# screen on a phone from tests/e2e/test_phone.py; test_browser's full-width phone checks save no README image).
SCREENSHOT_TESTS = "screenshot or switch_every_page or (phone and strip) or dark or generate_streams or upload_binary_file"
FILES = ["tests/e2e/test_browser.py", "tests/e2e/test_phone.py"]


def main(argv: list[str]) -> int:
    env = {**os.environ, "BLT_SCREENSHOT_DIR": str(OUT)}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *FILES, "-k", SCREENSHOT_TESTS, *argv]
    code = subprocess.call(cmd, cwd=ROOT, env=env)
    print(f"screenshots in {OUT.relative_to(ROOT)}:", ", ".join(sorted(p.name for p in OUT.glob("*.png"))))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
