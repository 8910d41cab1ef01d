"""The visual checks in Debian's headless Chromium: what is measured, and that rendering is shut
off from the network, the file system and the email's own scripts.

Skipped when Chromium is missing, unless LEARNLOOP_REQUIRE_BROWSER=1 (set by .ci/run). One
renderer serves the whole module, as it serves a batch of emails. The real-template smoke test
keeps its screenshots in `var/screenshots/preflight-*.png` (or LEARNLOOP_SCREENSHOTS=DIR).
"""

from __future__ import annotations

import http.server
import os
import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from learnloop.checks.browser import (
    NO_PLAYWRIGHT,
    BrowserUnavailable,
    Renderer,
    RenderError,
    RenderTimeout,
    find_chromium,
    unavailable_reason,
)
from learnloop.domain.preflight.config import PreflightConfig
from learnloop.domain.preflight.findings import Outcome, RuleResult
from learnloop.domain.preflight.visual import Measurement, Region, judge_visual
from tests.shared_data import TEMPLATES

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("LEARNLOOP_SCREENSHOTS")
             or Path(__file__).resolve().parents[2] / "var" / "screenshots")
PARAGRAPH = "<p style='font-size:16px'>" + "Words people read on a phone. " * 12 + "</p>"


@pytest.fixture(scope="module")
def renderer() -> Iterator[Renderer]:
    reason = unavailable_reason()
    if reason is not None:
        if os.environ.get("LEARNLOOP_REQUIRE_BROWSER") == "1":
            pytest.fail(f"the browser is required: {reason}")
        pytest.skip(reason)
    with Renderer() as shared:
        yield shared


def page(body: str, head: str = "") -> str:
    return ("<!doctype html><html><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width'>"
            f"{head}</head><body>{body}</body></html>")


def results(measurements: tuple[Measurement, ...]) -> dict[str, RuleResult]:
    return {r.rule: r for r in judge_visual(measurements, PreflightConfig())}


class Listener:
    """A local HTTP server that records every connection and request it gets."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        seen = self.seen

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append(f"GET {self.path}")
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(http.server.ThreadingHTTPServer):
            def verify_request(self, request: Any, client_address: Any) -> bool:
                seen.append(f"connection from {client_address[0]}")
                return True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


# measuring ------------------------------------------------------------------------------------


def test_a_fixed_width_table_overflows_a_phone_and_is_named(renderer: Renderer) -> None:
    html = page(f"<table class='promo' width='700'><tr><td>{PARAGRAPH}</td></tr></table>")
    narrow, wide = renderer.measure(html, (375, 600))
    assert narrow.scroll_width > 700
    t1 = results((narrow, wide))["T1"]
    assert t1.outcome is Outcome.FAILED
    assert [(f.width, f.where) for f in t1.findings] == [(375, "body > table.promo"),
                                                        (600, "body > table.promo")]
    assert t1.findings[0].evidence == 'width="700"'


def test_the_fixed_table_inside_a_fluid_wrapper_is_the_one_named(renderer: Renderer) -> None:
    html = page("<table width='100%'><tr><td align='center'>"
                f"<table class='container' width='600'><tr><td>{PARAGRAPH}</td></tr></table>"
                "</td></tr></table>")
    (narrow,) = renderer.measure(html, (375,))
    (finding,) = results((narrow,))["T1"].findings
    assert finding.where is not None
    assert finding.where.endswith("table.container")


def test_a_fluid_template_does_not_overflow(renderer: Renderer) -> None:
    html = page("<table role='presentation' width='100%' style='max-width:600px;margin:auto'>"
                f"<tr><td style='padding:20px'>{PARAGRAPH}"
                "<img src='data:image/gif;base64,R0lGODlhAQABAAAAACw=' width='600' alt=''"
                " style='width:100%;max-width:600px;height:auto'></td></tr></table>")
    measurements = renderer.measure(html, (375, 600))
    assert [m.scroll_width for m in measurements] == [375, 600]
    assert results(measurements)["T1"].outcome is Outcome.PASSED


def test_small_body_text_is_found_and_the_footer_is_apart(renderer: Renderer) -> None:
    html = page("<div style='font-size:11px'>" + "Tiny body copy. " * 40 + "</div>"
                + "<div style='height:600px'></div>"
                + "<div class='footer' style='font-size:10px'>Unsubscribe | 1 Main St</div>")
    (m,) = renderer.measure(html, (375,))
    regions = {(r.region, r.font_px) for r in m.texts}
    assert regions == {(Region.BODY, 11.0), (Region.FOOTER, 10.0)}
    t3 = results((m,))["T3"]
    assert t3.outcome is Outcome.FAILED
    assert any("under 13 px" in f.message for f in t3.findings)


def test_hidden_preheaders_are_not_measured(renderer: Renderer) -> None:
    html = page("<div style='display:none;font-size:1px'>Hidden preheader</div>"
                "<div style='max-height:0;overflow:hidden;font-size:1px'>Also hidden</div>"
                f"{PARAGRAPH}")
    (m,) = renderer.measure(html, (375,))
    assert [r.font_px for r in m.texts] == [16.0]


def test_links_buttons_and_image_links_are_measured(renderer: Renderer) -> None:
    html = page(
        f"{PARAGRAPH}<p>Read <a href='https://shop.example/terms'>the terms</a> first.</p>"
        "<table><tr><td style='background:#0a7;padding:14px 24px'>"
        "<a href='https://shop.example/buy' style='color:#fff'>Buy now</a></td></tr></table>"
        "<a href='https://shop.example/fb'><img src='https://cdn.example/fb.png' width='32'"
        " height='32' alt='Facebook'></a>")
    (m,) = renderer.measure(html, (375,))
    by_text = {link.text: link for link in m.links}
    assert by_text["the terms"].inline
    assert by_text["Buy now"].button_like
    assert not by_text["Buy now"].inline
    icon = by_text["Facebook"]
    assert icon.image
    assert icon.size == (32.0, 32.0)
    assert [i.has_alt for i in m.images] == [True]


def test_the_screenshot_is_a_png_of_the_width(renderer: Renderer) -> None:
    narrow, wide = renderer.measure(page(PARAGRAPH), (375, 600))
    for m in (narrow, wide):
        assert m.screenshot is not None
        png = m.screenshot.png
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", png[16:24]) == (m.width, m.screenshot.height)
        assert m.screenshot.width == m.width


def test_a_tall_page_is_screenshot_only_to_the_cap(renderer: Renderer) -> None:
    html = page("<div style='height:9000px'>tall</div>")
    (m,) = renderer.measure(html, (375,))
    assert m.page_height >= 9000
    assert m.screenshot is not None
    assert m.screenshot.height == 4000


def test_one_renderer_measures_many_emails(renderer: Renderer) -> None:
    first = renderer.measure(page("<p>first email</p>"), (375,))
    second = renderer.measure(page("<p>second email</p>"), (375,))
    assert [r.sample for r in first[0].texts] == ["first email"]
    assert [r.sample for r in second[0].texts] == ["second email"]


# nothing leaves the artifact ------------------------------------------------------------------


def test_no_request_reaches_the_network(renderer: Renderer, listener: Listener) -> None:
    url = listener.url
    head = (f"<link rel='stylesheet' href='{url}/style.css'>"
            f"<link rel='preconnect' href='{url}'><link rel='prefetch' href='{url}/next'>"
            f"<link rel='icon' href='{url}/favicon.ico'>"
            f"<style>@import url({url}/import.css); @font-face {{font-family: brand;"
            f" src: url({url}/brand.woff)}} p {{font-family: brand}}"
            f" body {{background: url({url}/bg.png)}}</style>"
            f"<meta http-equiv='refresh' content='0;url={url}/away'>")
    body = (f"<p>Sale</p><img src='{url}/hero.png' alt='Hero'>"
            "<img src='https://example.org/x.png' alt=''>"
            f"<img srcset='{url}/a.png 1x, {url}/b.png 2x' alt=''>"
            f"<table background='{url}/table.png'><tr><td>cell</td></tr></table>"
            f"<div style='background-image:url({url}/inline.png)'>box</div>"
            f"<iframe src='{url}/frame'></iframe><video poster='{url}/poster.png'"
            f" src='{url}/movie.mp4'></video><object data='{url}/object'></object>"
            f"<img src='relative.png' alt=''>")
    measurements = renderer.measure(page(body, head), (375, 600))
    assert listener.seen == []
    blocked = {b.url for b in measurements[-1].blocked}
    assert {f"{url}/hero.png", "https://example.org/x.png", f"{url}/style.css",
            f"{url}/import.css", "https://preview.invalid/relative.png"} <= blocked
    assert measurements[-1].blocked_total == len(measurements[-1].blocked)
    assert "Sale" in [r.sample for r in measurements[-1].texts]  # the refresh went nowhere


def test_local_files_are_never_read(renderer: Renderer, tmp_path: Path) -> None:
    wide_css = tmp_path / "wide.css"
    wide_css.write_text("body { width: 3000px }\n")
    (png_source,) = renderer.measure(page("<div style='width:300px;height:200px'></div>"),
                                     (375,))
    assert png_source.screenshot is not None
    picture = tmp_path / "picture.png"
    picture.write_bytes(png_source.screenshot.png)
    secret = tmp_path / "secret.html"
    secret.write_text("<p>a secret on disk</p>")
    html = page(f"<p>Hello</p><img id='local' src='file://{picture}'>"
                f"<iframe src='file://{secret}'></iframe>"
                f"<a href='file:///etc/passwd'>passwords</a>",
                head=f"<link rel='stylesheet' href='file://{wide_css}'>")
    (m,) = renderer.measure(html, (375,))
    assert m.scroll_width == 375  # the style sheet did not load
    (image,) = m.images
    assert image.rect.width < 300  # nor did the picture: a broken-image icon at most
    assert all("secret" not in r.sample for r in m.texts)


def test_the_emails_scripts_do_not_run(renderer: Renderer, listener: Listener) -> None:
    html = page("<p id='copy'>before</p>"
                "<script>document.getElementById('copy').textContent = 'after';"
                " document.body.style.width = '3000px';"
                f" fetch('{listener.url}/beacon')</script>"
                "<img src='x:' onerror=\"document.body.innerHTML = 'replaced'\" alt=''>")
    (m,) = renderer.measure(html, (375,))
    assert [r.sample for r in m.texts] == ["before"]
    assert m.scroll_width == 375
    assert listener.seen == []


# hostile pages end in an answer or a clear error ----------------------------------------------


def test_deep_nesting_gives_a_measurement_or_a_render_error(renderer: Renderer) -> None:
    html = "<div>" * 5000 + "deep" + "</div>" * 5000
    outcome: tuple[Measurement, ...] | RenderError
    try:
        outcome = renderer.measure(html, (375, 600), budget_s=20)
    except RenderError as exc:  # a clear error is acceptable; anything else is not
        outcome = exc
    if isinstance(outcome, RenderError):
        assert outcome.reason
    else:
        assert [m.width for m in outcome] == [375, 600]
    assert renderer.measure(page("<p>after</p>"), (375,))[0].texts[0].sample == "after"


def test_odd_characters_are_rendered(renderer: Renderer) -> None:
    (m,) = renderer.measure(page("<p>nul\x00 and a lone \ud800 surrogate</p>"), (375,))
    assert "surrogate" in m.texts[0].sample


def test_an_endless_animation_does_not_hold_up_the_rendering(renderer: Renderer) -> None:
    html = page("<div class='spin'>spinning</div>", head=(
        "<style>@keyframes spin {to {transform: rotate(360deg)}}"
        " .spin {animation: spin 1s linear infinite}</style>"))
    (m,) = renderer.measure(html, (375,))
    assert m.screenshot is not None


def test_the_budget_ends_a_rendering_and_the_renderer_carries_on(renderer: Renderer) -> None:
    with pytest.raises(RenderTimeout) as caught:
        renderer.measure(page(PARAGRAPH * 50), (375, 600), budget_s=0.001)
    assert "0.001 s" in caught.value.reason
    assert renderer.measure(page("<p>next</p>"), (375,))[0].texts[0].sample == "next"


def test_bad_arguments_are_render_errors(renderer: Renderer) -> None:
    with pytest.raises(RenderError, match="widths"):
        renderer.measure(page("<p>x</p>"), (50,))
    with pytest.raises(RenderError, match="no widths"):
        renderer.measure(page("<p>x</p>"), ())


def test_a_missing_chromium_is_a_readable_reason(tmp_path: Path) -> None:
    with pytest.raises(BrowserUnavailable) as caught:
        Renderer(executable=str(tmp_path / "no-chromium")).measure("<p>x</p>", (375,))
    assert "the visual checks did not run" in caught.value.reason


def test_find_chromium_honours_the_environment(monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    fake = tmp_path / "chromium"
    fake.write_text("")
    monkeypatch.setenv("LEARNLOOP_CHROMIUM", str(fake))
    assert find_chromium() == str(fake)
    monkeypatch.setenv("LEARNLOOP_CHROMIUM", str(tmp_path / "missing"))
    assert find_chromium() is None
    reason = unavailable_reason()
    assert reason == NO_PLAYWRIGHT or (reason or "").startswith("LEARNLOOP_CHROMIUM names")
    monkeypatch.delenv("LEARNLOOP_CHROMIUM")
    assert find_chromium() is None or Path(find_chromium() or "").exists()


def test_closing_twice_is_harmless() -> None:
    if unavailable_reason() is not None:
        pytest.skip("needs the browser")
    own = Renderer()
    own.start()
    own.close()
    own.close()


# real templates -------------------------------------------------------------------------------


REAL = {
    # an unresponsive 600 px layout: it overflows a phone
    "mailchimp__email-blueprints/templates/simple-basic.html": "table#templateContainer",
    # a responsive template whose footer table keeps width="600" on phones
    "emailmonday__Cerberus/cerberus-responsive.html": "table.footer",
    # a fluid one: nothing overflows
    "emailmonday__Cerberus/cerberus-fluid.html": None,
    "leemunroe__responsive-html-email-template/email.html": None,
}


@pytest.mark.parametrize(("name", "offender"), list(REAL.items()))
def test_real_templates(renderer: Renderer, name: str, offender: str | None) -> None:
    source = TEMPLATES / name
    if not source.exists():
        pytest.skip(f"{source} is not here")
    measurements = renderer.measure(source.read_text(encoding="utf-8"), (375, 600))
    SHOTS.mkdir(parents=True, exist_ok=True)
    for m in measurements:
        assert m.screenshot is not None
        stem = name.replace("/", "__").removesuffix(".html")
        (SHOTS / f"preflight-{stem}-{m.width}.png").write_bytes(m.screenshot.png)
    t1 = results(measurements)["T1"]
    at_375 = [f for f in t1.findings if f.width == 375]
    if offender is None:
        assert at_375 == []
    else:
        assert [offender in (f.where or "") for f in at_375] == [True]


def test_a_real_template_with_small_body_text(renderer: Renderer) -> None:
    source = TEMPLATES / "mailchimp__email-blueprints/templates/mobile-basicmobile.html"
    if not source.exists():
        pytest.skip(f"{source} is not here")
    measurements = renderer.measure(source.read_text(encoding="utf-8"), (375,))
    assert results(measurements)["T3"].outcome is Outcome.FAILED


def test_the_port_of_the_listener_is_really_open(listener: Listener) -> None:
    """The no-network tests would pass vacuously if the listener heard nothing at all."""
    host, port = listener.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(b"GET /probe HTTP/1.0\r\n\r\n")
        conn.recv(100)
    assert "GET /probe" in listener.seen
