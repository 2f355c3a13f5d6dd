"""Headless Chromium driven over the DevTools protocol, for tests that check what a person sees in a page.

Chromium comes from Debian's ``chromium`` package; the tests that need it skip without it (``MISSING`` says
how to install it). The protocol is spoken over the page's websocket with the ``websockets`` package (a
dependency of Prefect): evaluate JavaScript in the rendered page, wait until an expression holds, take a
screenshot. Every wait is on the page's content; time only bounds it.
"""

from __future__ import annotations

import base64
import itertools
import json
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = shutil.which("chromium")
MISSING = "headless Chromium is not installed: install Debian's `chromium` package (`apt install chromium`)"


class Page:
    """The one tab of a headless Chromium, through its DevTools websocket."""

    def __init__(self, socket) -> None:
        self._socket = socket
        self._ids = itertools.count(1)

    def call(self, method: str, **params) -> dict:
        """Send one DevTools command and return its result (the events that arrive meanwhile are dropped)."""
        ident = next(self._ids)
        self._socket.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self._socket.recv(timeout=60))
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"Chromium refused {method}: {message['error']}")
                return message["result"]

    def open(self, url: str) -> None:
        reply = self.call("Page.navigate", url=url)
        if reply.get("errorText"):
            raise RuntimeError(f"Chromium could not open {url}: {reply['errorText']}")

    def evaluate(self, expression: str):
        """The value of a JavaScript expression in the page (JSON-serialisable values only)."""
        reply = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in reply:
            raise RuntimeError(f"{expression!r} raised in the page: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def text(self) -> str:
        return self.evaluate("document.body ? document.body.innerText : ''") or ""

    def wait_for(self, expression: str, timeout: float = 60.0):
        """The value of ``expression`` once truthy: evaluated in the page until then, ``timeout`` s at most."""
        deadline = time.monotonic() + timeout
        while not (value := self.evaluate(expression)):
            if time.monotonic() > deadline:
                raise AssertionError(f"the page never satisfied {expression!r} in {timeout:.0f} s; "
                                     f"it shows:\n{self.text()[:3000]}")
            time.sleep(0.2)
        return value

    def screenshot(self, path: Path) -> Path:
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"]))
        return path


@contextmanager
def chromium(profile: Path, *, width: int = 1440, height: int = 900, timeout: float = 60.0) -> Iterator[Page]:
    """A headless Chromium with a ``width`` x ``height`` window and its profile in ``profile``; yields its tab."""
    from websockets.sync.client import connect

    profile.mkdir(parents=True, exist_ok=True)
    (profile / "DevToolsActivePort").unlink(missing_ok=True)  # a profile's earlier run left its port there
    with open(profile / "chromium.log", "wb") as log:
        browser = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
             f"--window-size={width},{height}", "--remote-debugging-port=0", f"--user-data-dir={profile}",
             "about:blank"], stdout=log, stderr=subprocess.STDOUT)
    try:
        port = _devtools_port(browser, profile, timeout)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=timeout) as reply:
            tab = next(t for t in json.load(reply) if t["type"] == "page")
        with connect(tab["webSocketDebuggerUrl"], max_size=None, open_timeout=timeout, proxy=None) as socket:
            page = Page(socket)
            # the viewport exactly width x height (a headless window's size leaves room for window decorations)
            page.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                      mobile=False)
            yield page
    finally:
        browser.terminate()
        browser.wait(timeout=30)


def _devtools_port(browser: subprocess.Popen, profile: Path, timeout: float) -> int:
    """The DevTools port, once Chromium has written it to the profile's DevToolsActivePort file."""
    announced = profile / "DevToolsActivePort"
    deadline = time.monotonic() + timeout
    while not (announced.exists() and announced.read_text().strip()):
        if browser.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"Chromium did not start its DevTools server; see {profile / 'chromium.log'}:\n"
                               + (profile / "chromium.log").read_text()[-2000:])
        time.sleep(0.1)
    return int(announced.read_text().split()[0])
