#!/usr/bin/env python3
# A headless Chromium that tests drive line by line: it opens one page and answers commands
# read from stdin, one answer line per command on stdout. Test tooling (issue 17, the live
# view); python3's standard library and Debian's chromium only, one process per page.
#
# Usage: headless_page.py [--size WIDTHxHEIGHT] URL   (the window: 1366x900 unless given)
#   wait <seconds> <js>  polls the expression every 100 ms until it is truthy:
#                        "ok <json value>", or "timeout <json of the last value or exception>"
#   eval <js>            "value <json>" ("exception <json text>" if it threw)
#   shot <path.png>      a PNG of the whole page at the window's width: "saved <path>"
#   quit                 closes Chromium and exits 0 (so does the end of stdin)
# A command that cannot run answers "error <json text>". Chromium speaks the DevTools protocol
# over --remote-debugging-pipe: it reads JSON messages from fd 3 and writes them to fd 4, each
# ended by a NUL byte. Chromium is killed on every exit path (quit, end of input, SIGTERM, an
# exception, and through PR_SET_PDEATHSIG if this process is killed outright).

import base64
import ctypes
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

CHROMIUM = "/usr/bin/chromium"
WIDTH, HEIGHT = 1366, 900
REPLY_TIMEOUT = 30.0  # seconds for one DevTools reply
PR_SET_PDEATHSIG = 1


class DriverError(Exception):
    pass


def headless_flag():
    # --headless=new exists since Chromium 109; older ones only know --headless.
    try:
        out = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True,
                             timeout=30).stdout
        major = int(out.split()[1].split(".")[0])
    except (OSError, ValueError, IndexError, subprocess.SubprocessError):
        return "--headless"
    return "--headless=new" if major >= 109 else "--headless"


class Browser:
    """One Chromium process and one page attached to it in a flat session."""

    def __init__(self, width, height):
        self.width, self.height = width, height
        self.profile = tempfile.mkdtemp(prefix="cafka-headless-")
        self.proc = None
        self.next_id = 0
        self.buffer = b""
        self.events = []
        self.session = None
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def child_setup():
            # Chromium reads commands on fd 3 and writes answers on fd 4; it dies with us.
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)

        log = open(os.path.join(self.profile, "chromium.log"), "wb")
        args = [CHROMIUM, headless_flag(), "--no-sandbox", "--remote-debugging-pipe",
                "--user-data-dir=" + self.profile, "--window-size=%d,%d" % (width, height),
                "--no-first-run", "--no-default-browser-check", "--disable-gpu",
                "--disable-extensions", "--disable-crash-reporter", "--disable-breakpad",
                "--disable-background-networking", "--mute-audio",
                "--hide-scrollbars", "about:blank"]
        try:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=log, pass_fds=(3, 4),
                                         preexec_fn=child_setup, start_new_session=True)
        finally:
            log.close()
            os.close(to_chrome_r)
            os.close(from_chrome_w)

    def send(self, method, params=None, session=True):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            data = data[os.write(self.to_chrome, data):]
        return self.next_id

    def read_message(self, deadline):
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.from_chrome], [], [], left)
            if not ready:
                return None
            chunk = os.read(self.from_chrome, 1 << 16)
            if not chunk:
                raise DriverError("chromium closed its pipe: " + self.log_tail())
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method, params=None, session=True, timeout=REPLY_TIMEOUT):
        """The result of one command; events that arrive meanwhile are kept for wait_event."""
        want = self.send(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            msg = self.read_message(deadline)
            if msg is None:
                raise DriverError("no reply to %s within %.0f s" % (method, timeout))
            if msg.get("id") == want:
                if "error" in msg:
                    raise DriverError("%s: %s" % (method, msg["error"].get("message")))
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def wait_event(self, method, timeout=REPLY_TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            for i, ev in enumerate(self.events):
                if ev["method"] == method and ev.get("sessionId") == self.session:
                    del self.events[i]
                    return ev.get("params", {})
            msg = self.read_message(deadline)
            if msg is None:
                raise DriverError("no %s within %.0f s" % (method, timeout))
            if "method" in msg:
                self.events.append(msg)

    def open(self, url):
        target = self.call("Target.createTarget", {"url": "about:blank"}, session=False)
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target["targetId"], "flatten": True},
                                 session=False)["sessionId"]
        self.call("Page.enable")
        self.call("Runtime.enable")
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": self.width, "height": self.height, "deviceScaleFactor": 1,
                   "mobile": False})
        self.events.clear()
        nav = self.call("Page.navigate", {"url": url})
        if nav.get("errorText"):
            raise DriverError("navigate %s: %s" % (url, nav["errorText"]))
        self.wait_event("Page.loadEventFired")

    def evaluate(self, expression):
        """(True, value) or (False, exception text)."""
        res = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                             "awaitPromise": True})
        if "exceptionDetails" in res:
            details = res["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            return False, text
        return True, res.get("result", {}).get("value")

    def screenshot(self, path):
        size = self.call("Page.getLayoutMetrics").get("cssContentSize", {})
        width = max(self.width, int(size.get("width", self.width)))
        height = max(self.height, int(size.get("height", self.height)))
        shot = self.call("Page.captureScreenshot",
                         {"format": "png", "captureBeyondViewport": True,
                          "clip": {"x": 0, "y": 0, "width": width, "height": height,
                                   "scale": 1}})
        with open(path, "wb") as f:
            f.write(base64.b64decode(shot["data"]))

    def log_tail(self):
        try:
            with open(os.path.join(self.profile, "chromium.log"), "rb") as f:
                return f.read()[-2000:].decode(errors="replace")
        except OSError:
            return ""

    def close(self):
        if self.proc and self.proc.poll() is None:
            try:
                self.call("Browser.close", session=False, timeout=5)
            except (DriverError, OSError, ValueError):
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        if self.proc:
            # The whole process group: the renderer and helper processes too.
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.proc.wait(timeout=5)
                    break
                except subprocess.TimeoutExpired:
                    continue
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for fd in (self.to_chrome, self.from_chrome):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)


def truthy(value):
    # JavaScript's truthiness of a JSON value (undefined arrives as None).
    return not (value is None or value is False or value == "" or
                (isinstance(value, (int, float)) and not isinstance(value, bool) and
                 (value == 0 or value != value)))


def answer(word, payload=None):
    line = word if payload is None else word + " " + payload
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def run_command(browser, line):
    """Answers one command line; False for quit."""
    cmd, _, rest = line.partition(" ")
    if cmd == "quit":
        return False
    if cmd == "eval":
        ok, value = browser.evaluate(rest)
        answer("value" if ok else "exception", json.dumps(value))
    elif cmd == "wait":
        seconds, _, expression = rest.partition(" ")
        deadline = time.monotonic() + float(seconds)
        while True:
            ok, value = browser.evaluate(expression)
            if ok and truthy(value):
                answer("ok", json.dumps(value))
                break
            if time.monotonic() >= deadline:
                answer("timeout", json.dumps(value if ok else "exception: " + str(value)))
                break
            time.sleep(0.1)
    elif cmd == "shot":
        browser.screenshot(rest)
        answer("saved", rest)
    else:
        answer("error", json.dumps("unknown command: " + cmd))
    return True


def main():
    args = sys.argv[1:]
    width, height = WIDTH, HEIGHT
    try:
        if len(args) == 3 and args[0] == "--size":
            width, height = (int(x) for x in args[1].split("x"))
            args = args[2:]
        if len(args) != 1 or width <= 0 or height <= 0:
            raise ValueError(args)
    except ValueError:
        sys.stderr.write("usage: headless_page.py [--size WIDTHxHEIGHT] URL (commands on stdin)\n")
        return 2

    def on_term(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    browser = Browser(width, height)
    try:
        browser.open(args[0])
        for line in sys.stdin:
            line = line.rstrip("\n")
            if not line.strip():
                continue
            try:
                if not run_command(browser, line):
                    break
            except (DriverError, ValueError, OSError) as e:
                answer("error", json.dumps(str(e)))
    except DriverError as e:
        sys.stderr.write("headless_page: %s\n" % e)
        return 1
    finally:
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
