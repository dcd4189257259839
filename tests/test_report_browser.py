"""The leadership report in a real browser: headless Chromium loads the sample company's
report from disk, with no console error, no network request, the charts and every plan
section in the rendered page, and the collapsed sections shown when printing.

Chromium is Debian's ``chromium`` package (``/usr/bin/chromium``). Without it the test is
skipped on a workstation, but FAILS when the ``CI`` environment variable is set: CI must
install it. The DevTools protocol is spoken over a minimal WebSocket client written with the
standard library. A screenshot is saved to tests/artifacts/report.png (gitignored).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from policycheck.cli import main

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")
SAMPLE_PLANS = 17

pytestmark = pytest.mark.slow


def chromium(candidates: tuple[str, ...] = ("chromium", "/usr/bin/chromium")) -> str:
    """The browser binary ($CHROMIUM first); fail in CI when it is missing, skip elsewhere."""
    for name in (os.environ.get("CHROMIUM", ""), *candidates):
        found = shutil.which(name) if name else None
        if found:
            return found
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed, and CI must run the browser test: "
                    "apt-get install -y chromium")
    pytest.skip("chromium is not installed (apt-get install -y chromium)")


def test_missing_browser_fails_in_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    monkeypatch.delenv("CHROMIUM", raising=False)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the browser test"):
        chromium(("/nonexistent/chromium",))
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        chromium(("/nonexistent/chromium",))


class DevTools:
    """The Chrome DevTools protocol over one WebSocket (RFC 6455, client side only)."""

    def __init__(self, url: str) -> None:
        host, _, path = url.removeprefix("ws://").partition("/")
        name, _, port = host.partition(":")
        self.sock = socket.create_connection((name, int(port)), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /{path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        reply = b""
        while b"\r\n\r\n" not in reply:
            reply += self.sock.recv(4096)
        assert b" 101 " in reply.split(b"\r\n", 1)[0], reply
        self.buffer = reply.split(b"\r\n\r\n", 1)[1]
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def _read(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("devtools closed the connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def _receive(self) -> dict[str, Any]:
        message = b""
        while True:
            first, second = self._read(2)
            size = second & 0x7F
            if size == 126:
                size = struct.unpack(">H", self._read(2))[0]
            elif size == 127:
                size = struct.unpack(">Q", self._read(8))[0]
            message += self._read(size)
            if first & 0x80:  # FIN
                return json.loads(message)  # type: ignore[no-any-return]

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Call a method and wait for its result; events that arrive meanwhile are kept."""
        self.next_id += 1
        payload = json.dumps({"id": self.next_id, "method": method, "params": params}).encode()
        mask = os.urandom(4)
        header = bytes([0x81]) + (bytes([0x80 | len(payload)]) if len(payload) < 126 else
                                  bytes([0x80 | 126]) + struct.pack(">H", len(payload))
                                  if len(payload) < 65536 else
                                  bytes([0x80 | 127]) + struct.pack(">Q", len(payload)))
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)
        while True:
            message = self._receive()
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})  # type: ignore[no-any-return]
            self.events.append(message)

    def wait_for(self, event: str, timeout: float = 30.0) -> None:
        end = time.monotonic() + timeout
        while not any(e.get("method") == event for e in self.events):
            if time.monotonic() > end:
                raise TimeoutError(event)
            self.events.append(self._receive())

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")


def _devtools_port(profile: Path, process: subprocess.Popen[bytes]) -> int:
    marker = profile / "DevToolsActivePort"
    end = time.monotonic() + 30
    while not marker.exists() or not marker.read_text().strip():
        if process.poll() is not None or time.monotonic() > end:
            raise RuntimeError("chromium did not open its DevTools port")
        time.sleep(0.1)
    return int(marker.read_text().split()[0])


@pytest.fixture(scope="module")
def report_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    assert main(["report", str(ROOT / "sample_data" / "yaml"), "-o", str(out),
                 "--date", "2027-01-15"]) == 0
    return out


@pytest.fixture(scope="module")
def page(report_html: Path) -> Iterator[DevTools]:
    """The report open in headless Chromium, loaded, with the events of the load kept."""
    binary = chromium()
    # Chromium's helper processes may still write to the profile as its main process exits.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        process = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0",
             "--window-size=1280,2000", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            port = _devtools_port(Path(profile), process)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as answer:
                targets = json.load(answer)
            target = next(t for t in targets if t["type"] == "page")
            tools = DevTools(target["webSocketDebuggerUrl"])
            for domain in ("Page", "Runtime", "Log", "Network"):
                tools.send(f"{domain}.enable")
            tools.send("Page.navigate", url=report_html.as_uri())
            tools.wait_for("Page.loadEventFired")
            tools.evaluate("1")  # let late console events arrive
            yield tools
            tools.sock.close()
        finally:
            process.terminate()
            process.wait(timeout=30)


def test_page_loads_without_console_errors(page: DevTools) -> None:
    errors = [e for e in page.events
              if e.get("method") == "Runtime.exceptionThrown"
              or (e.get("method") == "Runtime.consoleAPICalled"
                  and e["params"]["type"] in ("error", "assert"))
              or (e.get("method") == "Log.entryAdded"
                  and e["params"]["entry"]["level"] == "error")]
    assert errors == []


def test_page_makes_no_network_request(page: DevTools) -> None:
    urls = [e["params"]["request"]["url"] for e in page.events
            if e.get("method") == "Network.requestWillBeSent"]
    assert [u for u in urls if not u.startswith(("file:", "data:", "about:"))] == []


def test_rendered_page_has_the_charts_and_every_plan(page: DevTools) -> None:
    found = page.evaluate("""({
        charts: [...document.querySelectorAll('svg.chart[role=img]')].map(s => s.id),
        plans: document.querySelectorAll('details.plan').length,
        titled: [...document.querySelectorAll('svg.chart')].every(
            s => s.querySelector('title') && s.querySelector('desc')),
        headline: document.querySelector('.headline').innerText,
        width: document.querySelector('#mix-chart').getBoundingClientRect().width,
    })""")
    assert {"mix-chart", "exposure-chart", "findings-chart"} <= set(found["charts"])
    assert found["plans"] == SAMPLE_PLANS
    assert found["titled"]
    assert "of 385 people" in found["headline"]
    assert found["width"] > 600


def test_print_shows_the_collapsed_plan_sections(page: DevTools) -> None:
    page.send("Emulation.setEmulatedMedia", media="print")
    try:
        hidden = page.evaluate("""[...document.querySelectorAll('details.plan .body')]
            .filter(b => b.getBoundingClientRect().height === 0).length""")
        pdf = page.send("Page.printToPDF")
    finally:
        page.send("Emulation.setEmulatedMedia", media="")
    assert hidden == 0
    assert base64.b64decode(pdf["data"]).startswith(b"%PDF")


def test_screenshot(report_html: Path) -> None:
    """The command-line screenshot a reviewer looks at: tests/artifacts/report.png."""
    binary = chromium()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    # Chromium's helper processes may still write to the profile as its main process exits.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        subprocess.run([binary, *FLAGS, f"--user-data-dir={profile}", f"--screenshot={shot}",
                        "--window-size=1280,2000", report_html.as_uri()],
                       check=True, timeout=120, capture_output=True)
    assert shot.read_bytes().startswith(b"\x89PNG")
