#!/usr/bin/env python3
"""check-web.py: make check-web's test of the site in web/site/.

    check-web.py SITE [--measure] [--screenshot PNG]

Serves SITE with python3 -m http.server on 127.0.0.1 (a free port, killed
afterwards), opens it in headless Chromium driven through the DevTools
protocol over a pipe (--remote-debugging-pipe: no port, no extra module),
and checks what a student would see:

  1. index.html?e=... with the neuron's statements and log(-1): the
     transcript has the grad table (the backprop and central diff columns,
     a row for each of w, x, b, values matching the native program's) and
     the located error for log(-1) (message, the source line, the caret).
  2. ?example=neuron: the example loads (its forward value is printed).
  3. Ctrl-C stops a long train: the page says how many steps were done,
     and the session goes on.
  4. The line editor with real keys (continuation, Tab, Up), and Ctrl-C
     with text selected: it copies, keeping the line being typed.

Everything is bounded in time (a stuck page fails the check).  --measure
also prints the load time to the first prompt and the time of `grad f` in
the page.  Exit status 0 when every check passes, 1 otherwise, 77 (skip)
when chromium is not installed.
"""
import fcntl
import json
import os
import select
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

TIMEOUT = 60.0          # seconds for one page to reach a state


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """Headless Chromium over --remote-debugging-pipe (fd 3 in, fd 4 out;
    messages are JSON ended by a NUL byte)."""

    def __init__(self, exe, profile):
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()
        # Chromium reads commands on fd 3 and writes replies on fd 4.
        def child_fds():   # high copies first, in case a pipe end is 3 or 4
            a = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)
            b = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)
        self.proc = subprocess.Popen(
            [exe, "--headless", "--no-sandbox", "--disable-gpu",
             "--remote-debugging-pipe", "--user-data-dir=" + profile,
             "--no-first-run", "--window-size=1000,700", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, preexec_fn=child_fds, pass_fds=(3, 4))
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.next_id = 0
        self.buf = b""

    def call(self, method, params=None, session=None, timeout=TIMEOUT):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_chrome, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self.buf:
                raw, self.buf = self.buf.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == self.next_id:
                    if "error" in reply:
                        raise RuntimeError("%s: %s" % (method, reply["error"]))
                    return reply.get("result", {})
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(method)
            r, _, _ = select.select([self.from_chrome], [], [], left)
            if r:
                chunk = os.read(self.from_chrome, 1 << 16)
                if not chunk:
                    raise RuntimeError("chromium closed the pipe")
                self.buf += chunk

    def open(self, url):
        target = self.call("Target.createTarget", {"url": url})["targetId"]
        return self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]

    def eval(self, session, expr, timeout=TIMEOUT):
        res = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True,
                                             "awaitPromise": True}, session, timeout)
        if "exceptionDetails" in res:
            det = res["exceptionDetails"]
            raise RuntimeError("page: %s %s" % (det.get("text"),
                                                det.get("exception", {}).get("description", "")))
        return res["result"].get("value")

    def wait(self, session, expr, what, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                value = self.eval(session, expr)
            except RuntimeError:       # the document is not there yet
                value = None
            if value:
                return value
            time.sleep(0.05)
        raise TimeoutError(what)

    SPECIAL = {"\r": ("Enter", 13), "\t": ("Tab", 9), "UP": ("ArrowUp", 38)}

    def keys(self, session, *strokes):
        """Real key events, as a student types them: each stroke is text
        (one key per character) or UP; \r is Enter, \t is Tab."""
        for stroke in strokes:
            for ch in ([stroke] if stroke in self.SPECIAL else stroke):
                # (a key code only for letters and digits: "(" is 40 as a
                # character but ArrowDown as a key code)
                key, vk = (self.SPECIAL[ch] if ch in self.SPECIAL else
                           (ch, ord(ch.upper()) if ch.isalnum() else 0))
                down = {"type": "keyDown", "key": key, "windowsVirtualKeyCode": vk}
                if ch in ("\r", "\t") or len(ch) == 1:
                    down["text"] = ch
                if ch == "UP":
                    down["code"] = "ArrowUp"
                self.call("Input.dispatchKeyEvent", down, session)
                self.call("Input.dispatchKeyEvent", {"type": "keyUp", "key": key,
                                                     "windowsVirtualKeyCode": vk}, session)

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def serve(site):
    """python3 -m http.server on 127.0.0.1, port 0 (the kernel picks a free
    one); returns the process and the port it printed."""
    proc = subprocess.Popen([sys.executable, "-u", "-m", "http.server", "0", "--bind",
                             "127.0.0.1", "--directory", site],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    m = re.search(r"port (\d+)", line)
    if not m:
        proc.kill()
        raise RuntimeError("http.server said: %r" % line)
    return proc, int(m.group(1))


TRANSCRIPT = "document.getElementById('transcript').textContent"
# What the terminal shows: xterm.js's rows (its DOM renderer), one a line.
SCREEN = ("[...document.querySelectorAll('.xterm-rows > div')]"
          ".map((d) => d.textContent.replace(/\\s+$/, '')).join('\\n')")
READY = "document.documentElement.dataset.bpReady !== undefined"

NEURON = """w = -3
x = 2
b = 1
f = tanh(w*x + b)
grad f
log(-1)
print "after the error", w
print "∂f/∂w · é"
"""


failures = []


def shows(browser, session, text, timeout=10):
    """Whether the terminal's rows come to show text (xterm.js parses and
    draws what it is given a little later, in its own turns)."""
    try:
        browser.wait(session, SCREEN + ".includes(%s)" % json.dumps(text), "the terminal shows it",
                     timeout)
        return True
    except TimeoutError:
        return False


def check(ok, what):
    print("%s: %s" % ("PASS" if ok else "FAIL", what))
    if not ok:
        failures.append(what)


def main():
    args = sys.argv[1:]
    measure = "--measure" in args
    shot = args[args.index("--screenshot") + 1] if "--screenshot" in args else None
    site = [a for a in args if not a.startswith("--") and a != shot][0]
    exe = find_chromium()
    if not exe:
        print("SKIP: chromium is not installed (apt-get install chromium)")
        return 77
    server, port = serve(site)
    profile = tempfile.mkdtemp(prefix="bp-check-web-")
    browser = Browser(exe, profile)
    base = "http://127.0.0.1:%d/index.html" % port
    try:
        # 1. the neuron through ?e= (newlines as %0A; a + stays a +)
        page = browser.open(base + "?e=" + urllib.parse.quote(NEURON, safe=""))
        browser.wait(page, READY, "the page ran the ?e= statements")
        text = browser.eval(page, TRANSCRIPT)
        print("---- transcript of ?e=\n" + text + "----")
        check(re.search(r"^bp> grad f$", text, re.M) is not None, "the statements are echoed at the prompt")
        check(re.search(r"^\s*wrt\s+backprop\s+central diff", text, re.M) is not None,
              "grad f prints the table header (backprop, central diff)")
        # the native program's values (examples/neuron.out), to 7 digits
        for name, value in (("w", "3.631665e-04"), ("x", "-5.447497e-04"), ("b", "1.815832e-04")):
            check(re.search(r"^\s*%s\s+%s\s+%s" % (name, re.escape(value), re.escape(value)), text, re.M)
                  is not None, "grad row for %s: backprop and central diff both %s" % (name, value))
        m = re.search(r"^(<stdin>:\d+:\d+): error: log of a negative number\n  log\(-1\)\n  (\^~*)$",
                      text, re.M)
        check(m is not None, "log(-1) gives the located error: message, source line, caret")
        if m:
            check(m.group(2) == "^~~~~~~", "the caret spans log(-1)")
        check(re.search(r"^after the error -3$", text, re.M) is not None,
              "the session goes on after the error")
        check("\x1b" not in text, "the transcript is plain text (no ANSI codes)")
        # bp's bytes reach xterm.js as bytes 0..255 (Emscripten hands the
        # TTY its Int8Array heap: UTF-8 above 0x7f came out as nothing)
        check(shows(browser, page, "\n∂f/∂w · é\n"),
              "UTF-8 output (trace's ∂, ·) shows in the terminal, not only the transcript")

        # 2. ?example=neuron (a .bp is allowed); control characters in a
        # link are dropped (an ESC would clear the terminal); a name that
        # is not one gets a note
        ex = browser.open(base + "?example=neuron.bp&e=" + urllib.parse.quote('print "\x1b[2Jgone\x9b2J"')
                          + "&example=../x")
        browser.wait(ex, READY, "the page loaded the example")
        text = browser.eval(ex, TRANSCRIPT)
        check('bp> print "[2Jgone2J"\n[2Jgone2J\n' in text and shows(browser, ex, "\n[2Jgone2J\n")
              and shows(browser, ex, ": the chain rule, computed."),
              "a link's control characters are dropped: ESC [2J does not clear the terminal")
        check("(the link's example= is not an example's name, skipped: the examples are the buttons above)\n"
              in text, "?example=../x: a note, not silence")
        check('bp> load "neuron.bp"' in text and "by hand: df/dw = 0.0003631664619" in text,
              "?example=neuron loads examples/neuron.bp (its print line appears)")
        src = browser.eval(ex, "document.getElementById('source-text').textContent")
        check(src.startswith("#!/usr/bin/env bp\n# neuron.bp"), "the example's source is shown")

        # 3. Ctrl-C stops a long train; the completed steps are kept
        browser.eval(ex, "bpPage.type('L = (w - 3)^2'), 1")
        browser.wait(ex, "bpPage.idle()", "L defined")
        browser.eval(ex, "bpPage.type('train L wrt w 0.000001 1000000000'), 1")
        browser.wait(ex, TRANSCRIPT + ".includes('train L')", "train starts")
        time.sleep(0.5)
        check(not browser.eval(ex, "bpPage.idle()"), "train is still running after 0.5 s")
        browser.call("Emulation.setDeviceMetricsOverride", {"width": 600, "height": 700,
                                                            "deviceScaleFactor": 1, "mobile": False}, ex)
        browser.call("Input.dispatchKeyEvent", {"type": "keyDown", "key": "c", "code": "KeyC",
                                                "modifiers": 2, "windowsVirtualKeyCode": 67}, ex)
        browser.call("Input.dispatchKeyEvent", {"type": "keyUp", "key": "c", "code": "KeyC",
                                                "modifiers": 2, "windowsVirtualKeyCode": 67}, ex)
        browser.wait(ex, "bpPage.idle()", "the prompt back after Ctrl-C", timeout=10)
        text = browser.eval(ex, TRANSCRIPT)
        m = re.search(r"interrupted: (\d+) of 1000000000 steps done", text)
        check(m is not None and int(m.group(1)) > 0, "Ctrl-C interrupts train, some steps done")
        browser.eval(ex, "bpPage.type('print \"moved\", w > -3, w < 3'), 1")
        browser.wait(ex, "bpPage.idle()", "print after the interrupt")
        text = browser.eval(ex, TRANSCRIPT)
        check(re.search(r"^moved 1 1$", text, re.M) is not None, "the trained steps are kept")
        # the window got narrower (111 -> 64 columns) while train ran: the
        # next table is laid out for 80 columns (bp's narrowest), not 111
        browser.eval(ex, "bpPage.type('set fd central, forward, ridders, complex'), 1")
        browser.wait(ex, "bpPage.idle()", "set fd")
        browser.eval(ex, "bpPage.type('grad f wrt w'), 1")
        browser.wait(ex, "bpPage.idle()", "grad f after the resize")
        text = browser.eval(ex, TRANSCRIPT)
        check(re.search(r"^  wrt +backprop +central +forward +ridders +complex", text, re.M) is not None,
              "a resize during a computation reaches bp (the table fits the narrower terminal)")

        # 3b. a loaded script long enough that the page gets turns while it
        # runs (web_poll yields inside `load`, whose statements run from the
        # parser's callback, an indirect call: built with
        # ASYNCIFY_IGNORE_INDIRECT this trapped "unreachable" when a yield
        # fell there, as on a slow first run of neuron.bp)
        dg = browser.open(base + "?example=digits")
        browser.wait(dg, READY, "the page loaded digits.bp")
        text = browser.eval(dg, TRANSCRIPT)
        check(re.search(r"^test accuracy 0\.9\d*$", text, re.M) is not None and "bp stopped" not in text,
              "?example=digits runs to its end (a load that yields to the page)")

        # 4. the line editor, with real keys: continuation, completion, history
        ed = browser.open(base)
        browser.wait(ed, READY, "the page started")
        browser.keys(ed, "y = (1 +", "\r")
        browser.wait(ed, "bpPage.idle()", "the first line")
        browser.keys(ed, "2)", "\r")
        browser.wait(ed, "bpPage.idle()", "the second line")
        browser.keys(ed, "pri", "\t", "y", "\r")
        browser.wait(ed, "bpPage.idle()", "print y")
        browser.keys(ed, "UP", "\r")
        browser.wait(ed, TRANSCRIPT + ".split('bp> print y').length == 3", "the history line")
        text = browser.eval(ed, TRANSCRIPT)
        print("---- transcript of the typing\n" + text + "----")
        check("bp> y = (1 +\n..> 2)\nbp> " in text,
              "an incomplete line gets the continuation prompt, then runs")
        check(text.count("bp> print y\n3\n") == 2,
              "Tab completes pri to print; Up brings the line back")

        # 5. Ctrl-C with text selected copies it (the line being typed
        # stays); the selection goes, and the next Ctrl-C drops the line
        browser.eval(ed, "window.copiedText = null; document.addEventListener('copy', "
                         "(e) => { window.copiedText = e.clipboardData.getData('text/plain'); }), 1")
        browser.keys(ed, "y2 = 5")
        browser.wait(ed, SCREEN + ".includes('bp> y2 = 5')", "the typed line shows")
        x, y, h = browser.eval(ed, "(() => { const r = document.querySelector('.xterm-rows > div')"
                                   ".getBoundingClientRect(); return [r.x, r.y, r.height]; })()")
        for kind, dx in (("mousePressed", 1), ("mouseMoved", 60), ("mouseReleased", 120)):
            browser.call("Input.dispatchMouseEvent", {"type": kind, "x": x + dx, "y": y + h / 2,
                                                      "button": "left", "buttons": 1,
                                                      "clickCount": 1}, ed)
        ctrl_c = {"key": "c", "code": "KeyC", "modifiers": 2, "windowsVirtualKeyCode": 67}
        browser.call("Input.dispatchKeyEvent", dict(ctrl_c, type="keyDown", commands=["copy"]), ed)
        browser.call("Input.dispatchKeyEvent", dict(ctrl_c, type="keyUp"), ed)
        browser.keys(ed, "\r")
        browser.wait(ed, "bpPage.idle() && " + TRANSCRIPT + ".includes('y2 = 5')", "the kept line")
        browser.keys(ed, "print y2", "\r")
        browser.wait(ed, TRANSCRIPT + ".includes('print y2\\n')", "print y2")
        browser.keys(ed, "zz")
        browser.call("Input.dispatchKeyEvent", dict(ctrl_c, type="keyDown"), ed)
        browser.call("Input.dispatchKeyEvent", dict(ctrl_c, type="keyUp"), ed)
        browser.wait(ed, TRANSCRIPT + ".includes('zz^C')", "Ctrl-C without a selection", timeout=5)
        text = browser.eval(ed, TRANSCRIPT)
        copied = browser.eval(ed, "window.copiedText")
        check(bool(copied) and copied in text.split("\n")[0],
              "Ctrl-C with a selection copies it (%r)" % copied)
        check("bp> y2 = 5\nbp> print y2\n5\nbp> zz^C\n" in text,
              "... keeping the line being typed; the next Ctrl-C drops the line")

        # 5b. pasted text: a C1 control (U+009B is CSI to xterm.js) is not
        # put into the line, where the echo would send it to the terminal
        browser.call("Input.insertText", {"text": 'print "p\u009b2Jq"'}, ed)
        browser.keys(ed, "\r")
        browser.wait(ed, "bpPage.idle() && " + TRANSCRIPT + ".includes('p2Jq\\n')", "the pasted line")
        check(shows(browser, ed, "bp> y2 = 5") and shows(browser, ed, '\nbp> print "p2Jq"\np2Jq\n'),
              "a pasted C1 control is dropped (the terminal is not cleared)")

        # 6. save and load in the page's memory: a session and a CSV
        for line in ('sv = 7', 'save "mine.bp"', 'SW = [1.5, 2]', 'save "sw.csv" SW', 'clear',
                     'load "mine.bp"', 'print "loaded", sv, sum(load_csv("sw.csv"))'):
            browser.eval(ed, "bpPage.type(%s)" % json.dumps(line))
        text = browser.eval(ed, TRANSCRIPT)
        check(re.search(r"^loaded 7 3\.5$", text, re.M) is not None and "cannot open" not in text,
              "save, then load and load_csv, in the page's memory")

        if measure:
            first = browser.eval(ex, "document.documentElement.dataset.bpPrompt")
            print("measure: first prompt %s ms after navigation start" % first)
            browser.eval(ed, "bpPage.type('load \"neuron.bp\"')")
            times, runs = [], []
            for _ in range(21):
                times.append(browser.eval(ed, "bpPage.type('grad f')"))
                runs.append(browser.eval(ed, "bpPage.lastRunMs()"))
            print("measure: grad f in the page: median %.3f ms in bp's C code (min %.3f), "
                  "%.1f ms from Enter to the next prompt (21 runs)"
                  % (sorted(runs)[10], min(runs), sorted(times)[10]))
        if shot:
            data = browser.call("Page.captureScreenshot", {"format": "png"}, page)["data"]
            import base64
            with open(shot, "wb") as f:
                f.write(base64.b64decode(data))
    except (TimeoutError, RuntimeError) as e:
        check(False, "the page did not get there: %s" % e)
    finally:
        browser.close()
        server.kill()
        server.wait()
        shutil.rmtree(profile, ignore_errors=True)
    print("check-web: %s" % ("all passed" if not failures else "%d FAILED" % len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
