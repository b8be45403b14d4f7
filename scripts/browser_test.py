#!/usr/bin/env python3
"""End-to-end test of the web pages in headless Chromium (Debian's chromium
and chromium-driver), driven over the W3C WebDriver protocol with nothing but
Python's standard library.

The real flow, on a fresh SQLite database and a real `anju serve`:
  a town user logs in, fills in the month (a warning shows while typing a
  ratio above 100 %), saves a draft and submits; the public page does not
  show the figure; the task force approves it in the review queue; the
  cockpit and the indicator page show the new status and where the figure
  came from; the task force publishes the month; the public page and the
  month's airing table show it.
Checked on every page: no request goes to any host but the server (the
browser's own network log and the page's resource timing), and the public
pages carry no login name. Screenshots of the main pages go to --out.

Exit status: 0 passed, 1 a check failed, 2 the browser or server could not
be started.
"""

import argparse
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


class Failed(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, timeout=60):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return json.loads(raw)
        except ValueError:
            raise Failed(f"{method} {url}: HTTP {e.code} {raw[:200]!r}")


def wait_for(what, probe, timeout=20.0):
    end = time.time() + timeout
    last = None
    while time.time() < end:
        try:
            got = probe()
            if got:
                return got
        except Exception as e:  # noqa: BLE001 - keep polling, report the last one
            last = e
        time.sleep(0.1)
    raise Failed(f"waited {timeout:.0f} s for {what}" + (f" ({last})" if last else ""))


class Browser:
    """A WebDriver session."""

    def __init__(self, driver_url, user_data, chromium):
        self.driver = driver_url
        caps = {
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": chromium,
                        "args": [
                            "--headless=new", "--no-sandbox", "--disable-gpu",
                            "--disable-dev-shm-usage", "--disable-background-networking",
                            "--disable-component-update", "--disable-sync", "--no-first-run",
                            "--disable-quic", "--disable-extensions",
                            "--disable-default-apps", "--lang=zh-CN",
                            f"--user-data-dir={user_data}", "--window-size=1280,900",
                        ],
                    },
                    "goog:loggingPrefs": {"performance": "ALL"},
                }
            }
        }
        answer = http("POST", f"{driver_url}/session", caps, timeout=120)
        value = answer.get("value", {})
        if "sessionId" not in value:
            raise RuntimeError(f"no WebDriver session: {answer}")
        self.sid = value["sessionId"]
        self.base = f"{driver_url}/session/{self.sid}"

    def call(self, method, path, body=None):
        answer = http(method, self.base + path, body)
        value = answer.get("value") if isinstance(answer, dict) else None
        if isinstance(value, dict) and "error" in value:
            raise Failed(f"WebDriver {path}: {value['error']}: {value.get('message', '')[:300]}")
        return value

    def go(self, url):
        self.call("POST", "/url", {"url": url})

    def find(self, css):
        return self.call("POST", "/element", {"using": "css selector", "value": css})[ELEMENT]

    def find_all(self, css):
        return [e[ELEMENT] for e in self.call("POST", "/elements", {"using": "css selector", "value": css})]

    def click(self, css):
        self.call("POST", f"/element/{self.find(css)}/click", {})

    def type(self, css, text, clear=True):
        el = self.find(css)
        if clear:
            self.call("POST", f"/element/{el}/clear", {})
        self.call("POST", f"/element/{el}/value", {"text": text})

    def text(self, css):
        return self.call("GET", f"/element/{self.find(css)}/text")

    def js(self, script, *args):
        return self.call("POST", "/execute/sync", {"script": script, "args": list(args)})

    def source(self):
        return self.call("GET", "/source")

    def url(self):
        return self.call("GET", "/url")

    def screenshot(self, path, width=1280):
        height = self.js("return Math.min(Math.max(document.documentElement.scrollHeight, 600), 4000);")
        self.call("POST", "/window/rect", {"width": width, "height": int(height) + 100})
        png = base64.b64decode(self.call("GET", "/screenshot"))
        with open(path, "wb") as f:
            f.write(png)
        self.call("POST", "/window/rect", {"width": 1280, "height": 900})

    def requested_urls(self):
        """Every URL the browser asked for since the last call (its network log)."""
        urls = []
        for entry in self.call("POST", "/se/log", {"type": "performance"}) or []:
            try:
                message = json.loads(entry["message"])["message"]
            except (KeyError, ValueError):
                continue
            if message.get("method") == "Network.requestWillBeSent":
                urls.append(message["params"]["request"]["url"])
            elif message.get("method") == "Network.webSocketCreated":
                urls.append(message["params"]["url"])
        return urls

    def quit(self):
        try:
            http("DELETE", self.base)
        except Exception:  # noqa: BLE001 - best effort
            pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", required=True, help="the anju binary")
    ap.add_argument("--out", default="target/screenshots", help="where screenshots go")
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    ap.add_argument("--chromedriver", default=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for tool in (args.chromium, args.chromedriver):
        if not os.path.exists(tool):
            print(f"browser test: {tool} is missing (apt-get install chromium chromium-driver)", file=sys.stderr)
            return 2

    work = tempfile.mkdtemp(prefix="anju-browser-")
    db = f"sqlite://{work}/anju.db"
    procs = []
    browser = None
    try:
        users = [("xiashi", "town", "硖石街道", "Xs-填报-2026"),
                 ("zhuanban", "taskforce", None, "Zb-审核-2026"),
                 ("zhuanban2", "taskforce", None, "Zb2-审核-2026"),
                 ("guanli", "admin", None, "Gl-管理-2026"),
                 ("anquan", "secadmin", None, "Aq-安全-2026"),
                 ("shenji", "auditor", None, "Sj-审计-2026"),
                 ("fagai", "unit", "市发改局", "Fg-发改-2026"),
                 ("lingdao", "leader", None, "Ld-领导-2026"),
                 ("haichang", "town", "海昌街道", "Hc-填报-2026")]
        for name, role, org, password in users:
            cmd = [args.bin, "user", "add", name, "--role", role, "--password-stdin", "--database", db]
            if org:
                cmd += ["--org", org]
            subprocess.run(cmd, input=password + "\n", text=True, check=True, capture_output=True)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([args.bin, "serve", "--database", db, "--listen", f"127.0.0.1:{port}"],
                                  stdout=subprocess.DEVNULL, stderr=open(f"{work}/serve.log", "w"))
        procs.append(server)
        wait_for("the server", lambda: urllib.request.urlopen(f"{base}/api/v1/health", timeout=2).status == 200)
        driver_port = free_port()
        driver = subprocess.Popen([args.chromedriver, f"--port={driver_port}"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(driver)
        driver_url = f"http://127.0.0.1:{driver_port}"
        wait_for("chromedriver", lambda: http("GET", f"{driver_url}/status")["value"]["ready"])
        try:
            browser = Browser(driver_url, f"{work}/profile", args.chromium)
        except Exception as e:  # noqa: BLE001
            print(f"browser test: Chromium did not start: {e}", file=sys.stderr)
            return 2
        run_flow(browser, base, args.out, users)
        item = run_dispatch(browser, base, args.out, users)
        server.terminate()
        server.wait(timeout=30)
        # A week later (the clock moved): 市发改局 let its part go overdue.
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        later = subprocess.Popen([args.bin, "serve", "--database", db, "--listen", f"127.0.0.1:{port}"],
                                 stdout=subprocess.DEVNULL, stderr=open(f"{work}/serve.log", "w"),
                                 env={**os.environ, "ANJU_CLOCK_SHIFT_DAYS": "7"})
        procs.append(later)
        wait_for("the server a week later",
                 lambda: urllib.request.urlopen(f"{base}/api/v1/health", timeout=2).status == 200)
        run_overdue(browser, base, args.out, users, item)
        run_project(browser, base, args.out, users, work)
        later.terminate()
        later.wait(timeout=30)
        # The demo: a living cockpit on a new database, marked on every page.
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        demo = subprocess.Popen([args.bin, "serve", "--demo", "--database", f"sqlite://{work}/demo.db",
                                 "--listen", f"127.0.0.1:{port}"],
                                stdout=subprocess.DEVNULL, stderr=open(f"{work}/serve.log", "w"))
        procs.append(demo)
        wait_for("the demo server", lambda: urllib.request.urlopen(f"{base}/api/v1/health", timeout=2).status == 200,
                 timeout=600)
        run_demo(browser, base, args.out)
    except Failed as e:
        print(f"browser test FAILED: {e}", file=sys.stderr)
        if browser:
            try:
                browser.screenshot(f"{args.out}/failure.png")
                print(f"the page then: {args.out}/failure.png, {browser.url()}", file=sys.stderr)
            except Exception:  # noqa: BLE001
                pass
        log = os.path.join(work, "serve.log")
        if os.path.exists(log):
            sys.stderr.write(open(log).read()[-2000:])
        return 1
    finally:
        if browser:
            browser.quit()
        for p in procs:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)
    print("browser test passed: screenshots in", args.out)
    return 0


def check(cond, message):
    if not cond:
        raise Failed(message)


def run_flow(b, base, out, users):
    seen_pages = []
    # What the browser loaded before our first page (its new-tab page).
    b.go("about:blank")
    b.requested_urls()

    def only_own_host(page):
        """No request of the page went anywhere but the server."""
        urls = b.requested_urls()
        urls += b.js("return performance.getEntriesByType('resource').map(e => e.name);") or []
        foreign = [u for u in urls
                   if not (u.startswith(base + "/") or u == base or u.startswith(("data:", "about:", "blob:")))]
        check(not foreign, f"{page} asked another host: {foreign[:5]}")
        seen_pages.append(page)

    def visit(path):
        b.go(base + path)
        wait_for(f"{path} to load", lambda: b.js("return document.readyState;") == "complete")
        only_own_host(path)

    def no_login_names(page):
        html = b.source()
        for name, *_ in users:
            check(name not in html, f"the public page {page} shows the login name {name}")
        check("published_by" not in html, f"{page} shows who published")

    def login(name, password):
        visit("/login")
        b.type("#username", name)
        b.type("#password", password)
        b.click("#login-submit")
        wait_for("the login to finish", lambda: "/login" not in b.url())
        only_own_host(f"after login of {name}")

    def logout():
        b.click(".who button")
        wait_for("the logout", lambda: b.url().rstrip("/") == base)

    # The public page before anything is published.
    visit("/")
    check("尚未发布" in b.text("main"), "the public page should say nothing is published yet")
    no_login_names("/")
    # Keyboard: the first Tab reaches the skip link.
    b.call("POST", f"/element/{b.find('body')}/value", {"text": "\ue004"})
    check(b.js("return document.activeElement.className;") == "skip", "Tab should first reach the skip link")
    b.screenshot(f"{out}/public-empty.png")

    # A town user fills in the month and submits it.
    (town, _, _, town_pw), (tf, _, _, tf_pw), (tf2, _, _, tf2_pw), (admin, _, _, admin_pw), *_ = users
    login(town, town_pw)
    check(b.url().endswith("/report"), f"a town user should land on the form, not {b.url()}")
    period = b.js("return document.querySelector('#report-form').dataset.period;")
    check(len(period) == 7, f"the form's period: {period!r}")
    # A ratio above 100 % is warned about while typing.
    b.type("#n6", "120")
    b.type("#d6", "100")
    wait_for("the warning of indicator 6", lambda: "分子大于分母" in b.text("#f6 .warnings"))
    b.type("#n6", "90")
    wait_for("the warning to go", lambda: b.text("#f6 .warnings") == "")
    b.type("#n1", "2600")
    b.type("#d1", "10000")
    b.type("#v2", "0.31")
    b.screenshot(f"{out}/report.png")
    b.call("POST", "/window/rect", {"width": 390, "height": 844})
    b.screenshot(f"{out}/report-phone.png", width=390)
    b.click("#save-draft")
    wait_for("the draft to be saved", lambda: "已保存 3 项草稿" in b.text("#report-status"))
    b.click("#submit-report")
    wait_for("the month to be submitted", lambda: "已提交 3 项" in b.text("#report-status"))
    wait_for("the page to reload", lambda: "待审核" in b.text("#f1"))
    only_own_host("/report after submitting")
    # A file upload: one more figure, imported and submitted at once.
    upload = os.path.join(os.path.dirname(os.path.abspath(out)), "browser-upload.csv")
    with open(upload, "w", encoding="utf-8") as f:
        f.write(f"indicator,org_unit,period,value,numerator,denominator\n3,硖石街道,{period},0.04,,\n")
    b.call("POST", f"/element/{b.find('#import-file')}/value", {"text": upload})
    b.click("#import-form input[name=submit]")
    b.click("#import-form button[type=submit]")
    wait_for("the imported figure", lambda: "待审核" in b.text("#f3"))
    os.remove(upload)
    logout()

    # Approved figures only: nothing of it on the public page.
    visit("/")
    check("尚未发布" in b.text("main"), "an unpublished figure must not reach the public page")

    # The task force reviews and approves.
    login(tf, tf_pw)
    check(b.url().endswith("/cockpit"), f"the task force should land on the cockpit, not {b.url()}")
    visit(f"/cockpit?as_of={period}")
    check("无数据" in b.text("#matrix tbody tr:first-child"), "before approval indicator 1 has no data")
    visit("/review")
    rows = b.find_all("#queue tbody tr")
    check(len(rows) == 4, f"the review queue should hold 4 figures, not {len(rows)}")
    check("首次填报" in b.text("#queue"), "the queue should show the change against last period")
    b.screenshot(f"{out}/review.png")
    b.click("#check-all")
    b.click("#approve-selected")
    wait_for("the approval", lambda: "已批准 4 项" in b.text("#review-status"))
    wait_for("the queue to empty", lambda: b.find_all("#queue-empty"))

    # The cockpit shows the new status.
    visit(f"/cockpit?as_of={period}")
    first = b.text("#matrix tbody tr:first-child")
    check("已达标" in first and "26" in first, f"indicator 1 should now be achieved at 26: {first!r}")
    b.screenshot(f"{out}/cockpit.png")
    # Printed on A4: the browser's own PDF of the page.
    pdf = base64.b64decode(b.call("POST", "/print", {"page": {"width": 21.0, "height": 29.7},
                                                      "orientation": "landscape"}))
    check(pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") + pdf.count(b"/Type/Page") >= 1,
          "the cockpit prints to PDF")
    with open(f"{out}/cockpit-a4.pdf", "wb") as f:
        f.write(pdf)
    visit(f"/indicator/1?as_of={period}&org=%E7%A1%96%E7%9F%B3%E8%A1%97%E9%81%93")
    check(b.find_all("svg.chart circle"), "the indicator page should chart the actual")
    prov = b.text("#provenance")
    check(town in prov and tf in prov, f"the figure's source should name who reported and approved: {prov!r}")
    b.screenshot(f"{out}/indicator.png")

    # Approved but not published: still not public.
    visit("/")
    check("尚未发布" in b.text("main"), "an approved but unpublished month must not be public")

    # Publish the month: it is incomplete (eleven towns have not reported),
    # so the form says what is missing and asks for a decision and a reason.
    visit(f"/cockpit?as_of={period}")
    check_box = b.text("#publish-check")
    check("尚不完整" in check_box and "未报" in check_box,
          f"publishing an incomplete month should say what is missing first: {check_box!r}")
    b.screenshot(f"{out}/cockpit-publish-check.png")
    b.click("#publish")
    time.sleep(0.5)
    check("已发布" not in b.text("#publish-form"),
          "an incomplete month must not be published without the decision")
    b.click("#publish-force")
    b.type("#pub-reason", "专班例会决定先行晾晒")
    b.click("#publish")
    wait_for("the publication", lambda: "已发布(第 1 版)" in b.text("#publish-form"))
    logout()

    # The public page and the airing table show it, without login names.
    visit("/")
    main = b.text("main")
    check(f"{period} 月晾晒" in main, "the public page should name the published month")
    row1 = b.text("#i1")
    check("已达标" in row1 and "26" in row1, f"the public page should show indicator 1 achieved: {row1!r}")
    ranking = b.text("#ranking")
    check("硖石街道" in ranking.splitlines()[1], f"硖石街道 should rank first: {ranking!r}")
    no_login_names("/")
    b.screenshot(f"{out}/public.png")
    visit(f"/airing/{period}")
    check("第 1 版" in b.text("main"), "the airing table names its version")
    check("经专班决定发布" in b.text("#completeness"),
          "the airing table says the month was published incomplete by decision")
    no_login_names(f"/airing/{period}")
    b.screenshot(f"{out}/airing.png")

    # A target adjustment: proposed by one of the task force, not approvable
    # by the same person, approved by another; the indicator page then shows
    # the adjusted target beside the original.
    year = period[:4]
    login(tf, tf_pw)
    visit("/targets")
    b.js("document.querySelector('#adj-ind').value = '1';"
         "document.querySelector('#adj-year').value = arguments[0];", year)
    b.type("#adj-target", "26")
    b.type("#adj-eff", "")
    b.js("document.querySelector('#adj-eff').value = arguments[0];", period)
    b.type("#adj-reason", "政策评估后适当调高")
    b.click("#propose-form button[type=submit]")
    wait_for("the proposal", lambda: "待批准" in b.text("#adjustments"))
    # The proposer is offered no way to approve it (the permission table
    # refuses a self-decision; the API answers 403).
    check(not b.find_all("#adjustments form button"),
          "the proposer must not be offered to approve their own adjustment")
    check("本人提出" in b.text("#adjustments"), "the proposer's row must say it needs another reviewer")
    logout()
    login(tf2, tf2_pw)
    visit("/targets")
    b.click("#adjustments form button")
    wait_for("the approval of the adjustment", lambda: "已批准" in b.text("#adjustments"))
    b.screenshot(f"{out}/targets.png")
    visit(f"/indicator/1?as_of={period}")
    years = b.text("table.years")
    check("已调整" in years and "24.5" in years and "26" in years,
          f"the adjusted target beside the original: {years!r}")
    check("原目标" in b.text("figure"), "the chart shows the original target")
    logout()

    # The town corrects an approved figure: a new version waits for review.
    login(town, town_pw)
    b.click("#f1 details.correct summary")
    b.type("#cn1", "2650")
    b.type("#cd1", "10000")
    b.click("#f1 .send-correction")
    wait_for("the reason to be asked for", lambda: "理由" in b.text("#f1 details.correct .status"))
    b.type("#cr1", "核实后补录 50 户")
    b.click("#f1 .send-correction")
    wait_for("the correction", lambda: "待审核" in b.text("#f1 .state"))
    logout()

    # User administration: an admin adds a user, then changes their own password.
    login(admin, admin_pw)
    check(b.url().endswith("/users"), f"an admin lands on the users page, not {b.url()}")
    b.type("#nu-name", "haizhou")
    b.js("document.querySelector('#nu-role').value = 'town';")
    b.type("#nu-org", "海洲街道")
    b.type("#nu-pass", "Hz-初始-2026")
    b.click("#add-user button[type=submit]")
    wait_for("the new user", lambda: "haizhou" in b.text("#users"))
    visit("/account")
    b.type("#old-password", admin_pw)
    b.type("#new-password", "Gl-新密码-2027")
    b.click("#password-form button[type=submit]")
    wait_for("the password change", lambda: "已完成" in b.text("#password-form .status"))
    logout()
    login(admin, "Gl-新密码-2027")
    check(b.url().endswith("/users"), "the new password logs in")
    b.screenshot(f"{out}/users.png")
    logout()

    # The user the admin added must change the password first; a tired one
    # tries a password the policy refuses, then a good one.
    login("haizhou", "Hz-初始-2026")
    check(b.url().endswith("/account"), f"a new user lands on the account page first, not {b.url()}")
    check("请先在下面修改密码" in b.text("main"), "the account page says why")
    visit("/report")
    check(b.url().endswith("/account"), "every page leads to the account page until the password is changed")
    b.screenshot(f"{out}/first-login-phone.png", width=390)
    b.type("#old-password", "Hz-初始-2026")
    b.type("#new-password", "haizhou2026")
    b.click("#password-form button[type=submit]")
    wait_for("the refusal", lambda: "三类" in b.text("#password-form .status") or "用户名" in b.text("#password-form .status"))
    b.js("document.querySelector('#new-password').value = '';")
    b.type("#new-password", "Hz-我的-2027")
    b.click("#password-form button[type=submit]")
    wait_for("the page to reload without the notice", lambda: "请先在下面修改密码" not in b.text("main"))
    visit("/report")
    check(b.url().endswith("/report"), "after the change the reporting form opens")
    logout()

    # A stranger guesses the town's password five times from this browser:
    # the security administrator sees the lock and lifts it.
    for _ in range(3):
        visit("/login")
        b.type("#username", "xiashi")
        b.type("#password", "guess-guess")
        b.click("#login-submit")
        wait_for("the refusal", lambda: "用户名或密码错误" in b.text("main"))
    check("再错 2 次" in b.text("main"), f"the login page says how many tries are left: {b.text('main')[:200]}")
    b.screenshot(f"{out}/login-refused.png")
    login("anquan", "Aq-安全-2026")
    check(b.url().endswith("/security"), f"the security administrator lands on /security, not {b.url()}")
    check("在线会话" in b.text("main"), "the security page lists sessions")
    b.screenshot(f"{out}/security.png")
    logout()
    login("shenji", "Sj-审计-2026")
    check(b.url().endswith("/audit"), f"the audit administrator lands on /audit, not {b.url()}")
    b.click("a[href='/audit?verify=1']")
    wait_for("the verification", lambda: "核验通过" in b.text("main"))
    check("数据与审计日志一致" in b.text("#verified"), "the figures agree with the log")
    b.screenshot(f"{out}/audit.png")
    logout()
    print(f"checked {len(seen_pages)} page loads: every request went to {base} only")


def _session(b, base, users):
    """visit, login and logout for a walk (by login name)."""
    passwords = {name: pw for name, _, _, pw in users}

    def visit(path):
        b.go(base + path)
        wait_for(f"{path} to load", lambda: b.js("return document.readyState;") == "complete")

    def login(name):
        visit("/login")
        b.type("#username", name)
        b.type("#password", passwords[name])
        b.click("#login-submit")
        wait_for(f"the login of {name}", lambda: "/login" not in b.url())

    def logout():
        b.click(".who button")
        wait_for("the logout", lambda: b.url().rstrip("/") == base)

    def send(form_css, what):
        """Submits a form of the page and waits for its reload."""
        b.js("document.body.dataset.before = '1';")
        b.click(f"{form_css} button[type=submit]")
        wait_for(what, lambda: b.js("return document.readyState === 'complete' && !document.body.dataset.before;")
                 or "bad" in (b.js(f"return (document.querySelector('{form_css} .status')||{{}}).className || '';") or ""))
        status = b.js(f"var s = document.querySelector('{form_css} .status'); return s ? s.className + ' ' + s.textContent : '';")
        check(not status or "bad" not in status, f"{what}: {status}")

    return visit, login, logout, send


def run_dispatch(b, base, out, users):
    """The 专班 records a meeting's 督办 for 市发改局 and 海昌街道; 海昌街道
    signs and answers on a phone, is returned once, answers again and is
    closed. Returns the item's number."""
    visit, login, logout, send = _session(b, base, users)
    today = b.js("return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);")
    due = b.js("return new Date(Date.now() + 8 * 3600 * 1000 + 4 * 86400000).toISOString().slice(0, 10);")
    login("zhuanban")
    visit("/dispatch")
    check("工作调度" in b.text("nav"), "the task force's navigation has 工作调度")
    b.type("#sv-title", "加快推进保障性租赁住房项目前期工作")
    b.type("#sv-ref", "安居专班第 3 次例会")
    b.type("#sv-lead", "市发改局")
    b.type("#sv-co", "海昌街道")
    b.js("document.querySelector('#sv-due').value = arguments[0];", due)
    b.js("document.querySelector('#sv-urgency').value = '急办';")
    # A tired clerk first forgets the date of the meeting: said in words.
    b.js("document.querySelector('#sv-date').value = '';")
    b.click("#supervision-form button[type=submit]")
    wait_for("the missing date to be said", lambda: "日期" in b.text("#supervision-form .status"))
    b.js("document.querySelector('#sv-date').value = arguments[0];", today)
    send("#supervision-form", "the item to be recorded")
    rows = b.find_all("#supervision-list tbody tr")
    check(len(rows) == 1, f"the board lists the new item: {len(rows)}")
    first = b.text("#supervision-list tbody tr")
    check("市发改局" in first and "海昌街道" in first and "待签收" in first, f"both units have their part: {first!r}")
    href = b.js("return document.querySelector('#supervision-list tbody a').getAttribute('href');")
    item = int(href.rsplit("/", 1)[1])
    b.screenshot(f"{out}/dispatch-new-item.png")
    logout()

    # 海昌街道 on a phone: its workbench, sign, answer.
    b.call("POST", "/window/rect", {"width": 390, "height": 844})
    login("haichang")
    visit("/workbench")
    check("加快推进保障性租赁住房项目前期工作" in b.text("#my-supervision"), "the town's workbench lists its item")
    b.click("#my-supervision a")
    wait_for("the item page", lambda: "/supervision/" in b.url())
    send("#sign-form", "the signature")
    b.type("#fb-progress", "已完成 2 个项目的选址论证和建议书编制")
    b.type("#fb-diff", "用地指标待落实")
    b.type("#fb-percent", "１００")
    b.screenshot(f"{out}/supervision-phone-feedback.png", width=390)
    b.call("POST", "/window/rect", {"width": 390, "height": 844})
    send("#feedback-form", "the feedback")
    check("等待专班复核" in b.text("#my-part"), "after feedback it waits for review")
    logout()

    # The 专班 returns it once, with a reason.
    b.call("POST", "/window/rect", {"width": 1280, "height": 900})
    login("zhuanban")
    visit(f"/supervision/{item}")
    b.type("#assignments input[name=note]", "请附项目建议书批复文件")
    send("#assignments form:nth-of-type(2)", "the return")
    check("退办 1 次" in b.text("#assignments"), "the return is counted")
    logout()

    # Answered again on the phone, then closed.
    b.call("POST", "/window/rect", {"width": 390, "height": 844})
    login("haichang")
    visit(f"/supervision/{item}")
    check("黄色督办" in b.text("#my-part"), "a returned part is yellow, in words")
    b.type("#fb-progress", "已补充项目建议书批复文件")
    b.type("#fb-percent", "100")
    send("#feedback-form", "the second feedback")
    logout()
    b.call("POST", "/window/rect", {"width": 1280, "height": 900})
    login("zhuanban")
    visit(f"/supervision/{item}")
    send("#assignments form:nth-of-type(1)", "the closure")
    table = b.text("#assignments")
    check("已办结" in table, f"海昌街道's part is closed: {table!r}")
    log = b.text("#supervision-log")
    for step in ("立项交办", "签收", "办结反馈", "退办", "复核通过"):
        check(step in log, f"the log has {step}: {log!r}")
    logout()
    return item


def run_overdue(b, base, out, users, item):
    """A week later: 市发改局's part is red, in the leader's cockpit, who adds
    a 批示."""
    visit, login, logout, send = _session(b, base, users)
    login("lingdao")
    visit("/cockpit")
    check("测试时钟" in b.text(".demo-banner"), "a moved clock is said on the page")
    reds = b.text("#red-supervision")
    check("加快推进保障性租赁住房项目前期工作" in reds and "市发改局已逾期" in reds,
          f"the overdue item is in the leader's cockpit: {reds!r}")
    b.click("#red-supervision-list a")
    wait_for("the item page", lambda: f"/supervision/{item}" in b.url())
    b.type("#in-text", "请市发改局本周内办结并说明逾期原因。")
    send("#instruction-form", "the instruction")
    check("请市发改局本周内办结" in b.text(".instruction"), "the 批示 is shown on the item")
    b.screenshot(f"{out}/supervision-item.png")
    logout()
    login("zhuanban")
    visit("/dispatch?light=red")
    check(len(b.find_all("#supervision-list tbody tr")) == 1, "the board's red filter shows it")
    logout()


def run_project(b, base, out, users, work):
    """海昌街道 adds a project on a phone, sees its 倒排工期, reports its
    progress with a photo; the 专班 approves it."""
    visit, login, logout, send = _session(b, base, users)
    b.call("POST", "/window/rect", {"width": 390, "height": 844})
    login("haichang")
    visit("/projects")
    b.type("#pj-name", "文苑小区 3 幢加装电梯")
    b.js("document.querySelector('#pj-type').value = '加装电梯';")
    due = b.js("return new Date(Date.now() + 8 * 3600 * 1000 + 200 * 86400000).toISOString().slice(0, 10);")
    b.js("document.querySelector('#pj-done').value = arguments[0];", due)
    b.type("#pj-inv", "85.5")
    b.click("#project-form button[type=submit]")
    wait_for("the project page", lambda: "/projects/" in b.url() and b.js("return document.readyState;") == "complete")
    rows = b.find_all("#milestones tbody tr")
    check(len(rows) == 4, f"加装电梯 has four milestones: {len(rows)}")
    check(due in b.text("#milestones"), "the last milestone is the planned completion")
    check(b.js("return !!document.querySelector('#milestone-chart svg');"), "the timeline is drawn")
    # A photo from the phone's camera (drawn here, saved as a JPEG).
    data = b.js("var c = document.createElement('canvas'); c.width = 640; c.height = 480;"
                "var g = c.getContext('2d'); g.fillStyle = '#8a6'; g.fillRect(0, 0, 640, 480);"
                "g.fillStyle = '#333'; g.fillRect(200, 100, 240, 300); return c.toDataURL('image/jpeg', 0.8);")
    path = os.path.join(work, "井道施工.jpg")
    with open(path, "wb") as f:
        f.write(base64.b64decode(data.split(",", 1)[1]))
    b.type("#pg-percent", "15")
    b.type("#pg-text", "居民协商签约完成,正在审批备案")
    b.type("#pg-inv", "12.5")
    b.call("POST", f"/element/{b.find('#pg-photo')}/value", {"text": path})
    b.screenshot(f"{out}/project-phone-progress.png", width=390)
    b.call("POST", "/window/rect", {"width": 390, "height": 844})
    b.click("#progress-form button[type=submit]")
    wait_for("the entry's warning", lambda: "拍摄时间" in b.text("#progress-form .status"))
    wait_for("the entry", lambda: len(b.find_all("#progress-list li.entry")) == 1, timeout=30)
    entry = b.text("#progress-list")
    check("待审核" in entry and "没有拍摄时间" in entry, f"the entry waits for review, flagged: {entry!r}")
    check(len(b.find_all("#progress-list .gallery img")) == 1, "the photo is in the gallery")
    project = b.url()
    logout()
    b.call("POST", "/window/rect", {"width": 1280, "height": 900})
    login("zhuanban")
    b.go(project)
    wait_for("the project page", lambda: b.js("return document.readyState;") == "complete")
    send("#progress-list form:nth-of-type(1)", "the approval")
    check("已审核" in b.text("#progress-list"), "the entry is approved")
    check("12.5" in b.text("#project-head"), "approved investment counts")
    b.screenshot(f"{out}/project-approved.png")
    visit("/dispatch")
    check("海昌街道" in b.text("#projects-by-town"), "the board shows the town's projects")
    logout()


def run_demo(b, base, out):
    def visit(path):
        b.go(base + path)
        wait_for(f"{path} to load", lambda: b.js("return document.readyState;") == "complete")
        check("演示数据" in b.text(".demo-banner"), f"the demo page {path} must say it shows demo data")

    visit("/")
    check(len(b.find_all("#ranking tbody tr")) == 12, "the demo publishes a ranking of the 12 towns")
    b.screenshot(f"{out}/demo-public.png")
    b.screenshot(f"{out}/public-phone.png", width=390)
    visit("/login")
    b.type("#username", "demo-lingdao")
    b.type("#password", "anju-demo-2026")
    b.click("#login-submit")
    wait_for("the leader's login", lambda: "/cockpit" in b.url())
    visit("/cockpit")
    lights = b.text("#city-summary")
    check("绿灯" in lights and "红灯" in lights, f"the demo cockpit shows lights: {lights!r}")
    cells = b.js("return Array.from(document.querySelectorAll('#matrix td.cell')).map(c => c.className);")
    kinds = {k for c in cells for k in c.split() if k.startswith("l-")}
    check({"l-green", "l-red"} <= kinds, f"a living cockpit has green and red cells: {kinds}")
    # Three towns have no approved figure of last month: their cells carry
    # October's, marked and hatched.
    carried = b.js("return Array.from(document.querySelectorAll('#matrix td.cell.stale .carried')).map(c => c.textContent);")
    check(len(carried) >= 3 * 13 and all("沿用" in c for c in carried),
          f"the carried figures of the three towns are marked: {len(carried)} {carried[:3]}")
    # The leader's page: the red and yellow list with reasons and who
    # answers for them, the league table, who is late.
    alerts = b.find_all("#alert-list tbody tr")
    check(len(alerts) >= 3, f"the red and yellow list: {len(alerts)} lines")
    first_alert = b.text("#alert-list tbody tr:first-child")
    check("红" in first_alert or "滞后" in first_alert, f"a red light heads the list: {first_alert!r}")
    check(len(b.find_all("#league-table tbody tr")) == 12, "the league table of the 12 towns")
    check(b.find_all("#dept-progress tbody tr"), "the departments' reporting")
    check("报送截止" in b.text("#deadline"), "the deadline and days left")
    b.screenshot(f"{out}/demo-cockpit.png")
    b.screenshot(f"{out}/demo-cockpit-1920.png", width=1920)
    b.screenshot(f"{out}/cockpit-phone.png", width=390)
    # Printed on A4 landscape: every town's name and the red list with its
    # reasons are on paper (pdftotext reads what was printed, not what was
    # cut off).
    pdf = base64.b64decode(b.call("POST", "/print", {"page": {"width": 21.0, "height": 29.7},
                                                      "orientation": "landscape", "background": True}))
    with open(f"{out}/cockpit-a4.pdf", "wb") as f:
        f.write(pdf)
    text = subprocess.run(["pdftotext", "-layout", f"{out}/cockpit-a4.pdf", "-"],
                          capture_output=True, text=True, check=True).stdout
    towns = b.js("return Array.from(document.querySelectorAll('#matrix thead th')).slice(1).map(t => t.textContent.trim());")
    check(len(towns) == 13, f"the matrix has 13 columns: {towns}")
    missing = [t for t in towns if t not in text]
    check(not missing, f"the A4 print holds every column: missing {missing}")
    check("红黄灯清单" in text and "责任单位" in text, "the A4 print holds the red list")
    reason = b.text("#alert-list tbody tr:first-child td.why")[:12]
    check(reason in text.replace("\n", "").replace(" ", "") or reason in text,
          f"the A4 print holds the red list's reasons: {reason!r}")
    check("点格子看原因" not in text, "the A4 print drops the interactive hints")
    visit("/indicator/8")
    check(len(b.find_all("svg.chart circle")) >= 1, "the demo chart has actuals")
    b.screenshot(f"{out}/demo-indicator.png")
    b.click(".who button")
    wait_for("the leader's logout", lambda: b.url().rstrip("/") == base)

    # The clerk of 黄湾镇 (not yet reported) on a phone types ten times last
    # month's figure: the server's warning asks her first; she confirms,
    # sees her mistake and withdraws it before review.
    def login(name):
        visit("/login")
        b.type("#username", name)
        b.type("#password", "anju-demo-2026")
        b.click("#login-submit")
        wait_for(f"the login of {name}", lambda: "/login" not in b.url())

    def alert_text():
        try:
            return b.call("GET", "/alert/text")
        except Failed:
            return None

    login("demo-town-12")
    b.call("POST", "/window/rect", {"width": 390, "height": 844})
    check(b.url().endswith("/report"), f"the clerk lands on the form: {b.url()}")
    # 沿用上期 fills in last month's figure as it was entered.
    b.click("#f1 .copy-last")
    copied = b.js("return [document.querySelector('#n1').value, document.querySelector('#d1').value];")
    check(all(copied) and copied[0] in b.text("#f1 .last") and copied[1] in b.text("#f1 .last"),
          f"沿用上期 copies last month's numerator and denominator: {copied}")
    b.js("document.querySelector('#n1').value = ''; document.querySelector('#d1').value = '';")
    last = b.js("return document.querySelector('#f8').dataset.last;")
    b.type("#v8", str(int(float(last)) * 12))
    b.click("#submit-report")
    text = wait_for("the server's warning to ask first", alert_text)
    check("有 1 项提示" in text and "倍" in text, f"the confirmation names the warning: {text!r}")
    b.call("POST", "/alert/accept", {})
    wait_for("the submission", lambda: "待审核" in b.text("#f8"))
    b.screenshot(f"{out}/demo-report-phone-submitted.png", width=390)
    b.click("#withdraw")
    wait_for("the withdrawal", lambda: "草稿" in b.text("#f8"))
    check(not b.find_all("#withdraw"), "nothing left to withdraw")
    # She submits it again, confirming, for the reviewer to see.
    b.click("#submit-report")
    wait_for("the warning again", alert_text)
    b.call("POST", "/alert/accept", {})
    wait_for("the submission again", lambda: "待审核" in b.text("#f8"))
    b.call("POST", "/window/rect", {"width": 1280, "height": 900})
    b.click(".who button")
    wait_for("the clerk's logout", lambda: b.url().rstrip("/") == base)

    # The 专班 sees the flagged figure first, marked, and approving it in
    # bulk asks a second time.
    login("demo-zhuanban")
    visit("/review")
    first = b.js("return document.querySelector('#queue tbody tr').className;")
    check(first == "flagged", f"the flagged figure comes first: {first!r}")
    check("倍" in b.text("#queue tbody tr:first-child"), "the warning shows in the queue")
    b.screenshot(f"{out}/demo-review-flagged.png")
    b.click("#only-flagged")
    shown = b.js("return Array.from(document.querySelectorAll('#queue tbody tr')).filter(r => !r.hidden).length;")
    check(shown == 1, f"只看异常 shows the flagged figure only: {shown}")
    b.click("#only-flagged")
    b.click("#check-all")
    b.click("#approve-selected")
    text = wait_for("the second confirmation", alert_text)
    check("有异常提示" in text, f"bulk approval of a flagged figure asks again: {text!r}")
    b.call("POST", "/alert/dismiss", {})
    wait_for("the refusal to approve", lambda: "未批准" in b.text("#review-status"))
    # The dispatch board: the tasks' work items, 督办 by colour, projects by town.
    visit("/dispatch")
    board = b.text("#task-board")
    check("严重滞后" in board and "正常" in board, f"the work items carry their lights: {board[:200]!r}")
    check(len(b.find_all("#supervision-list tbody tr")) == 5, "the five demo 督办 items")
    first = b.js("return document.querySelector('#supervision-list tbody .tag').textContent;")
    check(first == "红色督办", f"the overdue item comes first: {first!r}")
    check("硖石街道" in b.text("#projects-by-town"), "projects by town")
    b.screenshot(f"{out}/dispatch-board.png")
    visit("/projects/1")
    check(b.js("return document.querySelectorAll('#progress-list .gallery img').length;") == 1, "the demo photo")
    check("拍摄于" in b.text("#progress-list"), "its capture time from EXIF")
    b.screenshot(f"{out}/project-page.png")
    b.click(".who button")
    print("demo: every page says it is demo data; the cockpit has green and red lights and marks carried figures; "
          "a warned figure is confirmed, withdrawn and flagged first in review; the dispatch board shows work "
          "items, 督办 and projects")


if __name__ == "__main__":
    sys.exit(main())
