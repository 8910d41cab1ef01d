"""The visual checks' browser: Debian's headless Chromium through Playwright.

`Renderer` launches Chromium once (a warm browser) and renders many emails, one after another,
each as a new document in the renderer's one tab (a fresh tab after any failure):

- **Nothing is fetched.** The email is served as the only document of a made-up origin
  (`https://preview.invalid/`) by a route that aborts every other request (images, style
  sheets, fonts, frames, media) and answers any later navigation of the page (a meta refresh)
  with 204 No Content, so the page stays. Chromium itself refuses `file:` URLs from a web page,
  and its host resolver is told that no host exists (`--host-resolver-rules`), so even a
  preconnect hint opens no connection. Every refused URL is counted (`Measurement.blocked`);
  `data:` URLs are part of the email and load.
- **The page's scripts never run.** The browser context has JavaScript disabled; the measuring
  script runs through the DevTools protocol, which that setting does not cover.
- **Every step has a time budget.** `measure` gives up after `budget_s` seconds with
  `RenderTimeout`; the tab is then thrown away, a tab that will not close takes the browser
  with it, and the next call launches a new one.

Playwright runs on an event loop of its own, in a thread the renderer owns, so a budget can
interrupt any step (the synchronous API cannot interrupt an `evaluate`). Errors arrive as
`RenderError` (a `CheckFailed`) with a reason a person can read.

The viewport is `width` x 800 CSS px at device scale 1, as a desktop browser (not a phone
emulation, which would lay a page without a viewport meta tag out 980 px wide and zoom out).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import shutil
import struct
import threading
import time
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from learnloop.domain.preflight.checkers import CheckFailed
from learnloop.domain.preflight.findings import Screenshot
from learnloop.domain.preflight.visual import (
    Blocked,
    Box,
    ImageBox,
    LinkBox,
    Measurement,
    Rect,
    Region,
    TextRun,
)

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page, Playwright, Request, Route

T = TypeVar("T")

DOCUMENT_URL = "https://preview.invalid/"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", "--host-resolver-rules=MAP * ~NOTFOUND")
NOT_INSTALLED = "Chromium is not installed (Debian package chromium); the visual checks did not run"
NO_PLAYWRIGHT = ("The Python package playwright is not installed (the learnloop[browser] extra); "
                 "the visual checks did not run")
VIEWPORT_HEIGHT = 800
MAX_HTML_CHARS = 10_000_000
MAX_BLOCKED = 50  # refused URLs listed; all are counted
MAX_ELEMENTS = 30_000  # elements the measuring script looks at before it stops
MIN_WIDTH, MAX_WIDTH = 200, 2000
CLOSE_BUDGET_S = 5.0


class RenderError(CheckFailed):
    """The email could not be rendered; `reason` says why, for the report."""


class RenderTimeout(RenderError):
    """Rendering took longer than its budget."""


class BrowserUnavailable(RenderError):
    """Chromium or Playwright is not installed."""


def find_chromium() -> str | None:
    """The Chromium to use: LEARNLOOP_CHROMIUM when set, else the first on the PATH
    (`chromium`, `chromium-browser`), else Debian's /usr/bin/chromium if present."""
    chosen = os.environ.get("LEARNLOOP_CHROMIUM")
    if chosen:
        return chosen if Path(chosen).exists() else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def unavailable_reason() -> str | None:
    """Why the visual checks cannot run here, or None when they can."""
    return _playwright_missing() or (None if find_chromium() else _no_chromium())


def _no_chromium() -> str:
    chosen = os.environ.get("LEARNLOOP_CHROMIUM")
    if chosen:
        return f"LEARNLOOP_CHROMIUM names {chosen}, which does not exist; the visual checks " \
            "did not run"
    return NOT_INSTALLED


def _playwright_missing() -> str | None:
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return NO_PLAYWRIGHT
    return None


class Renderer:
    """One headless Chromium for many emails. Use it as a context manager, or call `start`
    and `close`; `measure` starts it when needed (again after a budget killed it)."""

    def __init__(self, executable: str | None = None, *, launch_budget_s: float = 30.0,
                 screenshots: bool = True, max_screenshot_height: int = 4000) -> None:
        self.executable = executable
        self.launch_budget_s = launch_budget_s
        self.screenshots = screenshots
        self.max_screenshot_height = max_screenshot_height
        self.launch_s: float | None = None  # how long the last launch took
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._context: BrowserContext | None = None
        self._page: Page | None = None
        self._loading: _Loading | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> Renderer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Launch Chromium (within `launch_budget_s`) unless it is running."""
        with self._lock:
            self._start()

    def close(self) -> None:
        """Close the browser and stop the renderer's thread; safe to call twice."""
        with self._lock:
            self._stop()

    def _start(self) -> None:
        if self._browser is not None:
            return
        executable = self.executable or find_chromium()
        reason = _playwright_missing()
        if reason is None and self.executable and not Path(self.executable).exists():
            reason = f"Chromium is not at {self.executable}; the visual checks did not run"
        elif reason is None and executable is None:
            reason = _no_chromium()
        if reason is not None:
            raise BrowserUnavailable(reason)
        assert executable is not None
        if self._loop is None:
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=_run_loop, args=(loop,), daemon=True,
                                      name="learnloop-chromium")
            thread.start()
            self._loop, self._thread = loop, thread
        try:
            self._call(self._launch(executable), self.launch_budget_s)
        except BaseException:
            self._stop()
            raise

    def _stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        with contextlib.suppress(RenderError):  # a stuck driver: the loop stops anyway
            self._call(self._shutdown(), 4 * CLOSE_BUDGET_S)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        if not thread.is_alive():
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()
        self._loop = self._thread = None

    async def _launch(self, executable: str) -> None:
        from playwright.async_api import Error, async_playwright

        began = time.perf_counter()
        try:
            if self._playwright is None:
                self._playwright = await async_playwright().start()
            self._browser = await self._playwright.chromium.launch(
                executable_path=executable, args=list(FLAGS),
                timeout=self.launch_budget_s * 1000)
            self._context = await self._browser.new_context(
                java_script_enabled=False,
                viewport={"width": MIN_WIDTH, "height": VIEWPORT_HEIGHT},
                device_scale_factor=1, is_mobile=False, has_touch=False,
                service_workers="block", accept_downloads=False)
            await self._context.route("**/*", _refuse_all)
            warm = await self._context.new_page()  # the first page costs the most
            await warm.close()
        except Error as exc:
            raise RenderError(f"Chromium did not start: {_first_line(exc)}") from exc
        except Exception as exc:  # the driver itself did not start
            raise RenderError(f"Chromium did not start: {_first_line(exc)}") from exc
        self.launch_s = time.perf_counter() - began

    async def _shutdown(self) -> None:
        await self._discard_browser()
        if self._playwright is not None:
            playwright, self._playwright = self._playwright, None
            with contextlib.suppress(Exception):  # the driver process ends with the loop
                await asyncio.wait_for(playwright.stop(), CLOSE_BUDGET_S)

    async def _discard_browser(self) -> None:
        self._context = self._page = None
        if self._browser is None:
            return
        browser, self._browser = self._browser, None
        with contextlib.suppress(Exception):  # stopping the driver ends the browser process
            await asyncio.wait_for(browser.close(), CLOSE_BUDGET_S)

    def _call(self, coroutine: Coroutine[Any, Any, T], budget_s: float) -> T:
        """Run `coroutine` on the renderer's loop and wait for it, at most `budget_s` and a
        grace period (the coroutine enforces its own budget; this is the backstop)."""
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout=budget_s + 2 * CLOSE_BUDGET_S)
        except concurrent.futures.TimeoutError as exc:
            future.cancel()
            raise RenderTimeout(f"the browser did not answer within {budget_s:g} s") from exc

    # measuring -------------------------------------------------------------------------------

    def measure(self, html: str, widths: Sequence[int],
                budget_s: float = 10.0) -> tuple[Measurement, ...]:
        """Render `html` and measure it at each width, in order, within `budget_s` seconds
        in all. Raises `RenderTimeout` past the budget, `RenderError` when the page cannot be
        rendered, `BrowserUnavailable` when there is no browser."""
        widths = tuple(widths)
        if not widths:
            raise RenderError("no widths to render at")
        if not budget_s > 0:
            raise RenderError(f"the time budget must be positive, not {budget_s!r}")
        bad = [w for w in widths if not isinstance(w, int) or not MIN_WIDTH <= w <= MAX_WIDTH]
        if bad:
            raise RenderError(f"widths must be whole numbers from {MIN_WIDTH} to {MAX_WIDTH} "
                              f"px, not {bad[0]!r}")
        if len(html) > MAX_HTML_CHARS:
            raise RenderError(f"the HTML has more than {MAX_HTML_CHARS:,} characters")
        with self._lock:
            self._start()
            return self._call(self._measure(html, widths, budget_s), budget_s)

    async def _measure(self, html: str, widths: tuple[int, ...],
                       budget_s: float) -> tuple[Measurement, ...]:
        from playwright.async_api import Error
        from playwright.async_api import TimeoutError as PlaywrightTimeout

        assert self._browser is not None
        assert self._context is not None
        deadline = time.monotonic() + budget_s
        try:
            async with asyncio.timeout(budget_s):
                return await self._render(self._context, html, widths, deadline)
        except (TimeoutError, PlaywrightTimeout) as exc:  # the budget, or a Playwright timeout
            raise RenderTimeout(f"the page took longer than {budget_s:g} s to render") from exc
        except Error as exc:
            raise RenderError(f"the page could not be rendered: {_first_line(exc)}") from exc
        finally:
            if self._browser is not None and not self._browser.is_connected():
                await self._discard_browser()

    async def _open_page(self, context: BrowserContext) -> Page:
        """The renderer's one page, made on first use and after a failure."""
        if self._page is None:
            page = await context.new_page()
            await page.route("**/*", self._route)
            page.on("request", self._seen)
            self._page = page
        return self._page

    async def _route(self, route: Route) -> None:
        """Serve the email as the document; refuse everything else."""
        from playwright.async_api import Error

        request, loading = route.request, self._loading
        with contextlib.suppress(Error):  # the page closed under a pending request
            if (loading is not None and not loading.served and request.url == DOCUMENT_URL
                    and request.is_navigation_request()):
                loading.served = True
                await route.fulfill(status=200, content_type="text/html; charset=utf-8",
                                    body=loading.html)
                return
            self._seen(request)
            if request.is_navigation_request() and request.frame.parent_frame is None:
                await route.fulfill(status=204)  # a later navigation (a meta refresh): stay put
            else:
                await route.abort("blockedbyclient")

    def _seen(self, request: Request) -> None:
        """Count a refused request (the route's, and those Chromium refused itself)."""
        url = request.url
        if self._loading is not None and url != DOCUMENT_URL and not url.startswith(
                ("data:", "about:", "blob:")):
            self._loading.refused.setdefault(url, request.resource_type)

    async def _render(self, context: BrowserContext, html: str, widths: tuple[int, ...],
                      deadline: float) -> tuple[Measurement, ...]:
        loading = self._loading = _Loading(html)
        try:
            page = await self._open_page(context)
            page.set_default_timeout(max(1.0, (deadline - time.monotonic()) * 1000))
            await page.set_viewport_size({"width": widths[0], "height": VIEWPORT_HEIGHT})
            await page.goto(DOCUMENT_URL, wait_until="load")
            out = []
            for width in widths:
                await page.set_viewport_size({"width": width, "height": VIEWPORT_HEIGHT})
                left_ms = max(50.0, (deadline - time.monotonic()) * 1000 / 2)
                data = await page.evaluate(MEASURE_JS, {
                    "width": width, "budgetMs": left_ms, "maxElements": MAX_ELEMENTS, **WORDS})
                shot = await self._screenshot(page, width, float(data["pageHeight"]))
                out.append(_measurement(width, data, shot, loading.refused))
            return tuple(out)
        except BaseException:
            await self._discard_page()
            raise
        finally:
            self._loading = None

    async def _discard_page(self) -> None:
        if self._page is None:
            return
        page, self._page = self._page, None
        try:
            await asyncio.wait_for(asyncio.shield(page.close()), CLOSE_BUDGET_S)
        except Exception:
            await self._discard_browser()  # a page that will not close

    async def _screenshot(self, page: Page, width: int, height: float) -> Screenshot | None:
        if not self.screenshots:
            return None
        tall = max(1, min(int(height), self.max_screenshot_height))
        png = await page.screenshot(type="png", full_page=True, animations="disabled",
                                    caret="hide",
                                    clip={"x": 0, "y": 0, "width": width, "height": tall})
        return Screenshot(width, png, _png_height(png) or tall)


class _Loading:
    """The email being rendered: its HTML, whether it was served, what was refused."""

    def __init__(self, html: str) -> None:
        self.html = html.encode("utf-8", "replace")  # a lone surrogate becomes "?"
        self.served = False
        self.refused: dict[str, str] = {}


async def _refuse_all(route: Route) -> None:
    """The context's own route: a page's route decides first; this one refuses the rest."""
    from playwright.async_api import Error

    with contextlib.suppress(Error):
        await route.abort("blockedbyclient")


def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    loop.run_forever()


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "message", None) or exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


def _png_height(png: bytes) -> int | None:
    if len(png) < 24 or png[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return int(struct.unpack(">I", png[20:24])[0])


# from the measuring script's JSON to the domain's types ---------------------------------------


def _rect(item: dict[str, Any]) -> Rect:
    return Rect(float(item["x"]), float(item["y"]), float(item["w"]), float(item["h"]))


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) else None


def _measurement(width: int, data: dict[str, Any], shot: Screenshot | None,
                 refused: dict[str, str]) -> Measurement:
    listed = tuple(Blocked(url[:300], kind) for url, kind in list(refused.items())[:MAX_BLOCKED])
    return Measurement(
        width=width,
        scroll_width=float(data["scrollWidth"]),
        page_height=float(data["pageHeight"]),
        overflowing=tuple(Box(o["path"], _rect(o), float(o["over"]), o.get("declared"))
                          for o in data["offenders"]),
        texts=tuple(TextRun(t["path"], float(t["font"]), int(t["chars"]), Region(t["region"]),
                            t["sample"]) for t in data["texts"]),
        links=tuple(LinkBox(k["path"], k["href"], k["text"], _rect(k), Region(k["region"]),
                            bool(k["inline"]), bool(k["image"]), _int(k.get("imageWidth")),
                            _int(k.get("imageHeight")), bool(k["button"]))
                    for k in data["links"]),
        images=tuple(ImageBox(i["path"], i["src"], _rect(i), Region(i["region"]),
                              bool(i["alt"]), _int(i.get("widthAttr")),
                              _int(i.get("heightAttr")))
                     for i in data["images"]),
        screenshot=shot,
        blocked=listed,
        blocked_total=len(refused),
        truncated=bool(data["truncated"]),
    )


# The regions' words, as JavaScript regular expressions matched without regard to case: the
# footer (opt-out, address, legal) and the header strip (a view-online line).
FOOTER_WORDS = (
    r"unsubscribe", r"opt[ -]?out",
    r"(manage|update|change|edit) (your )?(email |subscription |communication )?"
    r"(preferences|settings|subscription)",
    r"preference cent(er|re)", r"email preferences", r"mailing address", r"all rights reserved",
    "\u00a9", r"copyright", r"you (are )?receiv(ed|ing) this", r"you['\u2019]re receiving",
    r"why did i get this", r"no longer (wish|want) to receive", r"this email was sent to",
    r"sent to you because")
# A row of social-network links in the lower part of an email is part of its footer band.
FOOTER_LINKS = (r"unsub", r"opt-?out", r"preferences", r"\*\|UPDATE_PROFILE\|\*",
                r"(^|[/.])(facebook|twitter|x|instagram|linkedin|youtube|pinterest|tiktok)"
                r"\.com(/|$)")
HEADER_WORDS = (
    r"view (this |it |the )?(email |message |newsletter )?(in|on) (your |a |the )?(web )?browser",
    r"view (it |this |this email )?online", r"web version", r"online version",
    r"trouble viewing", r"not displaying (correctly|properly)",
    r"can['\u2019]?t see (this|the) (email|message|images)", r"view as (a )?web ?page")
HEADER_LINKS = (r"\*\|ARCHIVE\|\*", r"web-?version", r"view-?online", r"view_?in_?browser")
WORDS = {"footerWords": "|".join(FOOTER_WORDS), "footerLinks": "|".join(FOOTER_LINKS),
         "headerWords": "|".join(HEADER_WORDS), "headerLinks": "|".join(HEADER_LINKS)}

# The measuring script. It runs in the page through the DevTools protocol (the page's own
# scripts are off), reads the layout and computed styles, and returns plain JSON. It stops at
# `maxElements` elements or when its time is up, and says so (`truncated`). Coordinates are CSS
# pixels from the top left of the page.
MEASURE_JS = r"""
(args) => {
  const W = args.width;
  const deadline = performance.now() + args.budgetMs;
  const late = () => performance.now() > deadline;
  const WIDE = 0.9 * W;  // a declared width this large is what makes a layout too wide
  const root = document.documentElement;
  const body = document.body || root;
  const sx = window.scrollX;
  const sy = window.scrollY;
  const scrollWidth = Math.max(root.scrollWidth, body.scrollWidth);
  const footerWords = new RegExp(args.footerWords, 'i');
  const footerLinks = new RegExp(args.footerLinks, 'i');
  const headerWords = new RegExp(args.headerWords, 'i');
  const headerLinks = new RegExp(args.headerLinks, 'i');
  const BUTTON_NAME = /btn|button|cta/i;
  const PX = /^\s*\d+(\.\d+)?\s*(px)?\s*$/;
  const SKIP = new Set(['SCRIPT', 'STYLE', 'TEMPLATE', 'HEAD', 'TITLE', 'META', 'LINK', 'BASE']);
  let truncated = false;

  const alpha = (color) => {
    if (!color || color === 'transparent') return 0;
    const m = color.match(/rgba?\(([^)]+)\)/);
    if (!m) return 1;
    const parts = m[1].split(/[,\s/]+/).filter(Boolean);
    return parts.length > 3 ? parseFloat(parts[3]) : 1;
  };
  const pageRect = (r) => ({x: r.left + sx, y: r.top + sy, w: r.width, h: r.height});
  const edges = (r) => [r.x, r.y, r.x + r.w, r.y + r.h];
  const intersect = (a, b) => a === null ? b
    : [Math.max(a[0], b[0]), Math.max(a[1], b[1]), Math.min(a[2], b[2]), Math.min(a[3], b[3])];
  const empty = (c) => c !== null && (c[2] <= c[0] || c[3] <= c[1]);
  const squash = (s) => s.replace(/\s+/g, ' ').trim();
  const short = (s, n) => s.length > n ? s.slice(0, n - 1) + '\u2026' : s;
  const nameOf = (el) => (el.id || '') + ' ' + (el.getAttribute('class') || '');
  const dim = (v) => (v !== null && PX.test(v)) ? Math.round(parseFloat(v)) : null;

  // Readable paths: tag#id, or tag.class1.class2 with :nth-of-type(n) among same-tag siblings;
  // the last four levels, stopping at an id; tbody (implicit in most emails) left out.
  const nth = new Map();
  const nthOf = (el) => {
    const parent = el.parentElement;
    if (!parent) return '';
    let table = nth.get(parent);
    if (!table) {
      table = new Map();
      const counts = new Map();
      for (const child of parent.children) {
        const n = (counts.get(child.tagName) || 0) + 1;
        counts.set(child.tagName, n);
        table.set(child, n);
      }
      for (const child of parent.children) {
        if (counts.get(child.tagName) === 1) table.set(child, 0);
      }
      nth.set(parent, table);
    }
    const n = table.get(el) || 0;
    return n ? ':nth-of-type(' + n + ')' : '';
  };
  const segment = (el) => {
    const tag = el.tagName.toLowerCase();
    if (el.id) return tag + '#' + short(el.id, 40);
    const classes = (el.getAttribute('class') || '').trim().split(/\s+/).filter(Boolean);
    return tag + classes.slice(0, 2).map((c) => '.' + short(c, 40)).join('') + nthOf(el);
  };
  const path = (el) => {
    const parts = [];
    for (let e = el; e && e !== root && parts.length < 4; e = e.parentElement) {
      if (e.tagName === 'TBODY') continue;
      parts.unshift(segment(e));
      if (e.id || e === body) break;
    }
    return parts.join(' > ');
  };

  // What fixes an element's width: a width attribute, an inline width or min-width, or a rule
  // of a style sheet (active media queries included) that sets one, in px.
  let sheetRules = null;
  const rulesOf = () => {
    if (sheetRules !== null) return sheetRules;
    sheetRules = [];
    const visit = (list) => {
      for (const rule of list) {
        if (sheetRules.length >= 500) return;
        if (rule.type === CSSRule.STYLE_RULE) {
          const w = rule.style.getPropertyValue('width');
          const mw = rule.style.getPropertyValue('min-width');
          if (/px$/.test(w) || /px$/.test(mw)) sheetRules.push(rule);
        } else if (rule.type === CSSRule.MEDIA_RULE
                   && window.matchMedia(rule.media.mediaText).matches) {
          visit(rule.cssRules);
        }
      }
    };
    for (const sheet of document.styleSheets) {
      try { visit(sheet.cssRules); } catch (e) { /* a sheet that cannot be read */ }
    }
    return sheetRules;
  };
  const wide = (v) => /px$/.test(v) && parseFloat(v) >= WIDE;
  const declared = (el) => {
    const attr = el.getAttribute('width');
    if (attr !== null && PX.test(attr) && parseFloat(attr) >= WIDE) {
      return 'width="' + attr.trim() + '"';
    }
    for (const prop of ['width', 'min-width']) {
      const v = el.style.getPropertyValue(prop);
      if (wide(v)) return prop + ': ' + v;
    }
    for (const rule of rulesOf()) {
      if (late()) break;
      let matches = false;
      try { matches = el.matches(rule.selectorText); } catch (e) { matches = false; }
      if (!matches) continue;
      for (const prop of ['width', 'min-width']) {
        const v = rule.style.getPropertyValue(prop);
        if (wide(v)) return prop + ': ' + v + ' (' + short(rule.selectorText, 60) + ')';
      }
    }
    return null;
  };

  // One walk over the rendered elements, parents before children. `clip` is the box that
  // ancestors with overflow other than visible cut their content to (html and body excluded:
  // email clients drop their styles); `effRight` is an element's right edge after that cut.
  const info = new Map();
  const offenders = [];
  const textEls = [];
  const linkEls = [];
  const imageEls = [];
  const named = [];
  const stack = [[body, {clip: null, opacity: 1, effRight: W}]];
  let count = 0;
  let contentBottom = 0;
  while (stack.length) {
    const [el, p] = stack.pop();
    count += 1;
    if (count > args.maxElements || ((count & 127) === 0 && late())) {
      truncated = true;
      break;
    }
    if (SKIP.has(el.tagName)) continue;
    const cs = getComputedStyle(el);
    if (cs.display === 'none') continue;
    const rect = pageRect(el.getBoundingClientRect());
    const right = rect.x + rect.w;
    const effRight = p.clip === null ? right : Math.min(right, p.clip[2]);
    let clip = p.clip;
    if (el !== body && (cs.overflowX !== 'visible' || cs.overflowY !== 'visible')) {
      clip = intersect(clip, edges(rect));
    }
    const opacity = p.opacity * parseFloat(cs.opacity || '1');
    const me = {clip, opacity, effRight, rect, cs};
    info.set(el, me);
    if (cs.position !== 'fixed' && (rect.w > 0 || rect.h > 0) && !empty(p.clip)
        && effRight > W + 0.5 && effRight > p.effRight + 0.5) {
      offenders.push({el, over: effRight - W});  // sticks out past the screen and its parent
    }
    if (empty(clip)) continue;  // everything inside is cut away (a collapsed preheader)
    if (rect.w > 0 && rect.h > 0 && cs.position !== 'fixed') {
      const bottom = rect.y + rect.h;
      contentBottom = Math.max(contentBottom, clip === null ? bottom : Math.min(bottom, clip[3]));
    }
    const shown = cs.visibility === 'visible' && opacity > 0.05;
    if (shown && alpha(cs.color) > 0.05 && parseFloat(cs.fontSize) > 0) {
      let chars = 0;
      let own = '';
      let box = null;
      for (const node of el.childNodes) {
        if (node.nodeType !== 3 || !/\S/.test(node.data)) continue;
        const range = document.createRange();
        range.selectNodeContents(node);
        const r = range.getBoundingClientRect();
        if (r.width <= 0 || r.height <= 0) continue;
        const tr = pageRect(r);
        if (clip !== null && empty(intersect(clip, edges(tr)))) continue;
        chars += node.data.replace(/\s+/g, '').length;
        if (own.length < 400) own = squash(own + ' ' + node.data).slice(0, 400);
        if (box === null) box = tr;
        const textRight = clip === null ? tr.x + tr.w : Math.min(tr.x + tr.w, clip[2]);
        if (textRight > W + 0.5 && textRight > effRight + 0.5) {  // a word that cannot wrap
          offenders.push({el, over: textRight - W, rect: tr, text: squash(node.data)});
        }
      }
      if (chars > 0) {
        textEls.push({el, rect: box, font: parseFloat(cs.fontSize), chars, own});
      }
    }
    if (shown && (rect.w > 0 || rect.h > 0)) {
      if (el.tagName === 'A' && el.hasAttribute('href')) linkEls.push({el, rect, cs});
      if (el.tagName === 'IMG') imageEls.push({el, rect});
    }
    const name = nameOf(el);
    if (el.tagName === 'FOOTER' || /footer/i.test(name)) named.push({el, rect, footer: true});
    if (/pre-?header|preview-?text/i.test(name) && rect.h > 0) {
      named.push({el, rect, footer: false});
    }
    for (let i = el.children.length - 1; i >= 0; i -= 1) stack.push([el.children[i], me]);
  }
  const pageHeight = Math.max(1, Math.ceil(contentBottom));

  // Regions. The header strip ends with the block around a view-online line or a preheader
  // element, when that block ends in the top 150 to 300 px (a fifth of the page). The footer
  // starts at the top of the block around the first footer words, link or footer element in
  // the lower 60% of the page; a block grows to its largest ancestor still in the lower 60%
  // and no taller than a third of the page (300 to 800 px).
  const H = pageHeight;
  const rectOf = (el) => (info.get(el) || {rect: pageRect(el.getBoundingClientRect())}).rect;
  const headerMax = Math.min(300, Math.max(150, 0.2 * H));
  const footerMin = 0.4 * H;
  const footerMaxH = Math.min(800, Math.max(300, 0.35 * H));
  const headerFits = (r) => r.y + r.h <= headerMax;
  const footerFits = (r) => r.y >= footerMin && r.h <= footerMaxH;
  const climb = (el, fits) => {
    let c = el;
    while (c.parentElement && c.parentElement !== body && c.parentElement !== root
           && fits(rectOf(c.parentElement))) {
      c = c.parentElement;
    }
    return rectOf(c);
  };
  let headerBottom = -Infinity;
  let footerTop = Infinity;
  const headerAt = (el, rect) => {
    if (!headerFits(rect)) return;
    const block = climb(el, headerFits);
    headerBottom = Math.max(headerBottom, block.y + block.h);
  };
  const footerAt = (el, rect) => {
    if (rect.y < footerMin) return;
    footerTop = Math.min(footerTop, footerFits(rect) ? climb(el, footerFits).y : rect.y);
  };
  for (const t of textEls) {
    if (headerWords.test(t.own)) headerAt(t.el, t.rect);
    if (footerWords.test(t.own)) footerAt(t.el, t.rect);
  }
  for (const l of linkEls) {
    const href = l.el.getAttribute('href') || '';
    if (headerLinks.test(href)) headerAt(l.el, l.rect);
    if (footerLinks.test(href)) footerAt(l.el, l.rect);
  }
  for (const n of named) {
    if (n.footer) footerAt(n.el, n.rect); else headerAt(n.el, n.rect);
  }
  const region = (r) => {
    if (r.y >= footerTop - 0.5) return 'footer';
    return r.y + r.h <= headerBottom + 0.5 ? 'header' : 'body';
  };

  // Overflow: name each offender, or the shallowest element inside it, along its widest
  // children, whose declared width makes it wide (a 600 px table in a 100% wrapper).
  const boxes = [];
  const reported = new Set();
  for (const o of offenders) {
    if (boxes.length >= 40) break;
    if (late()) { truncated = true; break; }
    if (o.text !== undefined) {
      const text = 'the text "' + short(o.text, 60) + '" does not wrap';
      boxes.push({path: path(o.el), ...o.rect, over: o.over, declared: text});
      continue;
    }
    let found = declared(o.el) !== null ? o.el : null;
    let cur = o.el;
    for (let depth = 0; found === null && depth < 40; depth += 1) {
      let next = null;
      let nextRight = -Infinity;
      for (const child of cur.children) {
        const ci = info.get(child);
        if (ci && ci.effRight > nextRight) { next = child; nextRight = ci.effRight; }
      }
      if (next === null || nextRight <= W + 0.5) break;
      cur = next;
      if (declared(cur) !== null) found = cur;
    }
    const el = found || o.el;
    if (reported.has(el)) continue;
    reported.add(el);
    boxes.push({path: path(el), ...info.get(el).rect, over: o.over,
                declared: found ? declared(found) : null});
  }

  // Links: inline when their block has words outside links; image links; button-like links
  // (a background, a border or padding on the link, or on the cell it fills, or a button name).
  const blockOf = (el) => {
    let b = el.parentElement;
    while (b && b !== body) {
      const display = (info.get(b) || {cs: getComputedStyle(b)}).cs.display;
      if (!display.startsWith('inline')) break;
      b = b.parentElement;
    }
    return b || body;
  };
  const prose = new Map();
  const hasProse = (block) => {
    if (prose.has(block)) return prose.get(block);
    const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
    let found = false;
    for (let n = walker.nextNode(), i = 0; n && i < 2000; n = walker.nextNode(), i += 1) {
      const inLink = n.parentElement && n.parentElement.closest('a');
      if (!inLink && /[\p{L}\p{N}]/u.test(n.data)) { found = true; break; }
    }
    prose.set(block, found);
    return found;
  };
  const painted = (cs) => alpha(cs.backgroundColor) > 0.05
    || ['Top', 'Right', 'Bottom', 'Left'].some((side) =>
      parseFloat(cs['border' + side + 'Width']) > 0 && cs['border' + side + 'Style'] !== 'none');
  const links = [];
  for (const l of linkEls.slice(0, 1000)) {
    if (late()) { truncated = true; break; }
    const el = l.el;
    const text = squash(el.innerText || el.textContent || '');
    const img = text === '' ? el.querySelector('img') : null;
    const block = blockOf(el);
    const only = block.children.length === 1 && block.firstElementChild.contains(el);
    const fills = text !== '' && block !== body && only && !hasProse(block);
    const padded = parseFloat(l.cs.paddingTop) + parseFloat(l.cs.paddingBottom) >= 8;
    const button = BUTTON_NAME.test(nameOf(el) + ' ' + (el.getAttribute('role') || ''))
      || (img === null && (painted(l.cs) || padded
                           || (fills && info.has(block) && painted(info.get(block).cs))));
    links.push({
      path: path(el), href: short(el.getAttribute('href') || '', 300),
      text: short(img ? squash(img.getAttribute('alt') || '') : text, 120), ...l.rect,
      region: region(l.rect), inline: img === null && hasProse(block), image: img !== null,
      imageWidth: img ? dim(img.getAttribute('width')) : null,
      imageHeight: img ? dim(img.getAttribute('height')) : null, button,
    });
  }
  const images = imageEls.slice(0, 1000).map((i) => {
    const src = i.el.getAttribute('src') || '';
    return {
      path: path(i.el), src: short(src, src.startsWith('data:') ? 40 : 300), ...i.rect,
      region: region(i.rect), alt: i.el.hasAttribute('alt'),
      widthAttr: dim(i.el.getAttribute('width')), heightAttr: dim(i.el.getAttribute('height')),
    };
  });
  const texts = [];
  for (const t of textEls.slice(0, 5000)) {
    if (late()) { truncated = true; break; }
    texts.push({path: path(t.el), font: t.font, chars: t.chars, region: region(t.rect),
                sample: short(t.own, 80)});
  }
  return {scrollWidth, pageHeight, truncated: truncated || textEls.length > 5000,
          offenders: boxes, texts, links, images};
}
"""
