"""Take the README's screenshots from a fresh demo, with Debian's headless Chromium.

    .venv/bin/python scripts/screenshots.py [--out docs]

Builds the demo (with its simulated weeks of learning) in a temporary data directory, serves it
on a free loopback port and saves PNGs of: a demo learner's home (`screenshot.png`, the README's
picture), the first question of their next step and its feedback, the sign-in page, and, signed
in as the demo author, a lesson and the author view of an item family.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sign_in(page, base: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/signin")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", "learnloop-demo")
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path("docs"))
    args = parser.parse_args()
    learnloop = str(Path(sys.executable).with_name("learnloop"))
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "LEARNLOOP_DATA_DIR": data}
        subprocess.run([learnloop, "demo"], env=env, check=True, capture_output=True)
        port = free_port()
        server = subprocess.Popen([learnloop, "serve", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{base}/signin", timeout=1)  # noqa: S310
                    break
                except OSError:
                    time.sleep(0.1)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=FLAGS)
                page = browser.new_page(viewport={"width": 1280, "height": 860})
                page.goto(f"{base}/signin")
                page.screenshot(path=str(args.out / "screenshot-signin.png"))
                sign_in(page, base, "aisha.bello@northwind.example")
                page.screenshot(path=str(args.out / "screenshot.png"), full_page=True)
                page.click("form[action='/steps/next'] button")
                while page.locator("text=Got it: next section").count():
                    page.click("text=Got it: next section")
                if page.locator("text=I’ve read it").count():
                    page.click("text=I’ve read it")
                if page.locator("fieldset.scale").count():
                    page.locator("input[name=confidence][value='4']").check()
                    page.locator("input[name=relevance][value='4']").check()
                    page.click("main form button[type=submit]")
                if page.locator("label.choice").count():
                    page.locator("label.choice").first.click()
                    page.screenshot(path=str(args.out / "screenshot-question.png"))
                    page.click("text=Check my answer")
                    page.screenshot(path=str(args.out / "screenshot-feedback.png"),
                                    full_page=True)
                page.context.clear_cookies()
                sign_in(page, base, "mei.chen@northwind.example")
                page.goto(f"{base}/author/marketing-essentials/v/1/families/"
                          "bounce-hard-or-soft")
                page.screenshot(path=str(args.out / "screenshot-author.png"))
                page.goto(f"{base}/learn/marketing-essentials/lessons/bounces-and-complaints")
                page.screenshot(path=str(args.out / "screenshot-lesson.png"))
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"wrote screenshots to {args.out}")


if __name__ == "__main__":
    main()
