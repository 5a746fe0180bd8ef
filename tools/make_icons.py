"""Render the app icons under static/icons/ from static/icons/favicon.svg, with Debian's Chromium (Playwright)
and Pillow. Run once after changing the SVG, and commit the files:

    .venv/bin/python -m tools.make_icons

icon-32.png (tabs), apple-touch-icon.png (180, opaque), icon-192.png and icon-512.png (for a web manifest: full
bleed, so a launcher may mask them to any shape; the mark stays inside the central safe zone), favicon.ico
(16, 32 and 48, for browsers that ask for /favicon.ico).
"""

from __future__ import annotations

import base64
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

ICONS = Path(__file__).resolve().parent.parent / "static" / "icons"
ROUNDED = (ICONS / "favicon.svg").read_text()
FULL_BLEED = ROUNDED.replace(' rx="14"', "")  # launchers and iOS round the corners themselves
SIZES = {
    "icon-32.png": (32, ROUNDED),
    "apple-touch-icon.png": (180, FULL_BLEED),
    "icon-192.png": (192, FULL_BLEED),
    "icon-512.png": (512, FULL_BLEED),
    "icon-48.png": (48, ROUNDED),
}


def main() -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        for name, (size, svg) in SIZES.items():
            data = base64.b64encode(svg.encode()).decode()
            page.set_viewport_size({"width": size, "height": size})
            page.set_content(
                f'<html><body style="margin:0"><img src="data:image/svg+xml;base64,{data}" '
                f'width="{size}" height="{size}" style="display:block"></body></html>'
            )
            page.screenshot(path=str(ICONS / name), omit_background=True)
        browser.close()
    big = Image.open(ICONS / "icon-48.png")
    big.save(ICONS / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])
    (ICONS / "icon-48.png").unlink()
    for name in SIZES:
        if (ICONS / name).exists():
            Image.open(ICONS / name).save(ICONS / name, optimize=True)


if __name__ == "__main__":
    main()
