"""Page weight: the bytes a phone downloads for civic's first page, as it arrives on the wire.

A demo database (`flask db upgrade`, `flask demo seed --issues 300`) in a temporary SQLite file, served by
gunicorn (tests/servers.py, as an operator runs it); Debian's Chromium (Playwright) opens the home page with a
phone's viewport (390x844, touch, a phone's user agent) and an empty cache. Chromium's own count of each
response (CDP Network.loadingFinished encodedDataLength: headers and compressed body, as received) is summed;
map tiles come from outside and are blocked, so they are counted apart (how many were asked for), as are the
Socket.IO frames once connected. The target is 150 KB (153,600 bytes) for the first page.

    .venv/bin/python -m tests.perf.page_weight [--path /] [--issues 300]

Exit status 1 when the first page is over the target.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from tests.servers import ROOT, serve

TARGET_BYTES = 150 * 1024
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0 Mobile Safari/537.36",
}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@dataclass
class Resource:
    url: str
    status: int = 0
    mime: str = ""
    encoding: str = ""
    wire: int = 0  # bytes received: headers + body as sent (compressed)
    body: int = 0  # bytes of the body once decoded


@dataclass
class Weight:
    resources: dict[str, Resource] = field(default_factory=dict)
    tiles_blocked: int = 0
    socket_frames: int = 0
    socket_bytes: int = 0

    @property
    def total(self) -> int:
        return sum(r.wire for r in self.resources.values())


def demo_database(folder: Path, issues: int) -> str:
    url = f"sqlite:///{folder / 'civic.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIVIC_")}
    env.update(CIVIC_DATABASE_URL=url, CIVIC_SECRET_KEY="page-weight", CIVIC_BACKGROUND_JOBS="false")
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for command in (["db", "upgrade"], ["demo", "seed", "--issues", str(issues)]):
        subprocess.run([*flask, *command], cwd=ROOT, env=env, check=True, capture_output=True)
    return url


def measure(base_url: str, path: str) -> Weight:
    from playwright.sync_api import sync_playwright

    weight = Weight()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(**PHONE)
        page = context.new_page()

        def outside(route):
            weight.tiles_blocked += 1
            route.abort()

        host = urlsplit(base_url).netloc
        page.route(lambda url: urlsplit(url).netloc != host, outside)
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})  # a first visit: nothing cached yet

        def response_received(event):
            response = event["response"]
            if urlsplit(response["url"]).netloc != host:
                return
            headers = {k.lower(): v for k, v in response.get("headers", {}).items()}
            weight.resources[event["requestId"]] = Resource(
                url=response["url"],
                status=response["status"],
                mime=response.get("mimeType", ""),
                encoding=headers.get("content-encoding", ""),
            )

        def loading_finished(event):
            found = weight.resources.get(event["requestId"])
            if found is not None:
                found.wire = int(event["encodedDataLength"])

        def data_received(event):
            found = weight.resources.get(event["requestId"])
            if found is not None:
                found.body += int(event["dataLength"])

        def frame(event):
            weight.socket_frames += 1
            weight.socket_bytes += len(event["response"].get("payloadData", ""))

        cdp.on("Network.responseReceived", response_received)
        cdp.on("Network.loadingFinished", loading_finished)
        cdp.on("Network.dataReceived", data_received)
        cdp.on("Network.webSocketFrameReceived", frame)
        page.goto(base_url + path, wait_until="networkidle")
        time.sleep(1.5)  # the map's bbox request and the events layer come after load
        page.wait_for_load_state("networkidle")
        browser.close()
    return weight


def report(weight: Weight, label: str) -> None:
    print(f"\n{label}")
    print(f"{'bytes on wire':>14} {'decoded':>9} {'enc':>5} {'status':>6}  resource")
    for r in sorted(weight.resources.values(), key=lambda r: -r.wire):
        print(f"{r.wire:>14,} {r.body:>9,} {r.encoding or '-':>5} {r.status:>6}  {urlsplit(r.url).path}")
    print(f"{weight.total:>14,} bytes on the wire in {len(weight.resources)} responses ({weight.total / 1024:.1f} KB)")
    print(f"map tiles (blocked, from outside): {weight.tiles_blocked} requests, not counted")
    print(f"Socket.IO frames after connecting: {weight.socket_frames} ({weight.socket_bytes:,} bytes), not counted")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default="/")
    parser.add_argument("--issues", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = demo_database(Path(folder), args.issues)
        with serve({"CIVIC_DATABASE_URL": url}, log_dir=Path(folder)) as server:
            weight = measure(server.url, args.path)
    report(weight, f"{args.path} on a phone (390x844), empty cache, {args.issues} demo issues")
    verdict = "within" if weight.total <= TARGET_BYTES else "OVER"
    print(f"first page: {weight.total / 1024:.1f} KB, {verdict} the {TARGET_BYTES // 1024} KB target")
    return 0 if weight.total <= TARGET_BYTES else 1


if __name__ == "__main__":
    raise SystemExit(main())
