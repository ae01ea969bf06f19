"""Draw the README's picture of the scan page: `python -m tests.browser.screenshot [OUT.png]`.

Starts `suyuan serve` on a fresh SQLite file, stocks it with the browser
tests' shop, and photographs the delivered box of prawns on a phone-sized
viewport with headless Chromium. Chinese text needs a CJK font on the
machine (Debian: fonts-wqy-microhei or fonts-noto-cjk).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

from tests.browser import shop


def main(out: str = "docs/scan-page.png") -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        db_url = f"sqlite:///{Path(tmp) / 'suyuan.db'}"
        with shop.server(db_url, data) as base:
            with httpx.Client(base_url=base, timeout=30) as client:
                stock = shop.stock(client, shop.cast(db_url))
                shop.wait_logged(client, stock.item)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=shop.CHROMIUM, args=shop.CHROMIUM_ARGS)
                page = browser.new_page(viewport=shop.PHONE, device_scale_factor=2, locale="zh-CN")
                page.goto(f"{base}/{stock.item}?region=310104")
                Path(out).parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=out, full_page=True)
                browser.close()
    print(f"wrote {out}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
