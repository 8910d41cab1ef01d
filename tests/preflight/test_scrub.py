"""Anonymised examples for the feedback library (domain/preflight/scrub.py): nothing that
names a person, a place or the brand survives, the point of the example does, and the same
input always gives the same excerpt."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from learnloop.artifacts.reader import read_upload
from learnloop.domain.preflight.config import PreflightConfig, config_from_data
from learnloop.domain.preflight.export import report_data
from learnloop.domain.preflight.reading import artifact_to_data
from learnloop.domain.preflight.scrub import (
    MAX_EXCERPT,
    Known,
    ScrubbedExample,
    excerpt_language,
    scrub_example,
)
from learnloop.services.preflight import Checkers, run_preflight
from tests.shared_data import TEMPLATES

DATA = Path(__file__).parents[1] / "data" / "preflight"
needs_templates = pytest.mark.skipif(not TEMPLATES.is_dir(),
                                     reason="the shared templates are missing")
TODAY = date(2026, 12, 4)
RUN = "00000000-0000-4000-8000-000000000001"
KNOWN = Known(brand_names=("Northwind",), people=("Leo Lead", "Ann Learner"))

# What must never survive from the mutated fixture (case-insensitive, as words).
FIXTURE_SECRETS = ("northwind", "northwind.co.uk", "northwind.example", "ana", "lopez",
                   "maria", "gonzalez", "leo", "ann", "harbour street", "bristol", "bs1 4rn",
                   "4rn", "496 0123", "gmail", "abc", "steal", "alert")


def mutated() -> tuple[str, str]:
    """good.html and good.yaml with a failure for many rules, and personal data everywhere."""
    html = (DATA / "good.html").read_text()
    html = html.replace(' alt="Northwind Outdoor"', "")  # T2
    html = html.replace('<meta name="viewport" content="width=device-width, initial-scale=1">',
                        "")  # T6
    html = html.replace(  # R1, R2, R3: a link with a bad medium and a personal parameter
        "utm_source=newsletter&amp;utm_medium=email&amp;utm_campaign="
        "2026-12_email_subscribers_winter-sale&amp;utm_content=sizes",
        "utm_medium=Newsletter&amp;ref=ana.lopez&amp;u=abc")
    html = html.replace(  # a greeting, a phone, a personal address, a script, a handler, T9
        '<p>Hi {{ first_name | default: "there" }},</p>',
        '<p onclick="steal()">Hi Ana Lopez, call +44 117 496 0123 or write to '
        'ana.lopez@northwind.co.uk.</p><script>alert(1)</script>'
        '<p>Dear Maria Gonzalez, <a href="#">Lorem ipsum</a> from Leo Lead.</p>')
    html = html.replace(  # D12: an odd port and a bare IP; R4: UTM on the unsubscribe link
        'https://www.northwind.co.uk/preferences?u=abc',
        'https://www.northwind.co.uk:8443/preferences?u=abc')
    html = html.replace(
        'https://www.northwind.co.uk/unsubscribe?u=abc',
        'http://203.0.113.9/unsubscribe?u=abc&amp;utm_source=northwind')
    side = (DATA / "good.yaml").read_text()
    side = side.replace("List-Unsubscribe-Post: List-Unsubscribe=One-Click", "X-Campaign: spring")
    side = side.replace("reply_to: Northwind Outdoor <hello@northwind.co.uk>",
                        "reply_to: Ana Lopez <ana.lopez@gmail.com>")  # C3
    side = side.replace("name: 2026-12_email_subscribers_winter-sale",
                        "name: Northwind Winter Sale")  # R5
    side = side.replace("    - unsubscribed = true\n", "")  # S2
    side = side.replace('lists contains "newsletter"', 'lists contains "northwind-vip"')
    return html, side


def checked(html: str, side: str, config: PreflightConfig) -> tuple[dict[str, Any],
                                                                     list[dict[str, Any]]]:
    artifact = read_upload("email.html", html.encode(), ("email.yaml", side.encode()))
    report = report_data(run_preflight(artifact, config, Checkers(), TODAY), None)
    return artifact_to_data(artifact), report["results"]


def leaks(example: ScrubbedExample, secrets: tuple[str, ...]) -> list[str]:
    return [s for s in secrets
            if re.search(r"(?<![a-z0-9])" + re.escape(s) + r"(?![a-z0-9])",
                         example.excerpt, re.IGNORECASE)]


def every_example(data: dict[str, Any], results: list[dict[str, Any]],
                  known: Known) -> dict[str, ScrubbedExample]:
    """An example for every failed or warned rule, and for the footer, the head, every link
    and every image, as findings would point at them."""
    out = {r["rule"]: scrub_example(data, r["rule"], r["findings"], known)
           for r in results if r["outcome"] in ("failed", "warned")}
    html = data["email"].get("html") or ""
    extra = [("footer", "C1"), ("<head>", "T6"), ("audience", "S1"), ("headers", "D1"),
             ("campaign.name", "R5"), ("body", "D11")]
    extra += [(f"link {n}", "R1") for n in range(1, html.count("<a ") + 2)]
    extra += [(f"image {n}", "T2") for n in range(1, html.count("<img") + 2)]
    for where, rule in extra:
        out[f"{rule}@{where}"] = scrub_example(
            data, rule, [{"severity": "fail", "where": where}], known)
    return out


def test_the_mutated_fixture_fails_many_rules() -> None:
    _, results = checked(*mutated(), PreflightConfig(brand_names=("Northwind",)))
    bad = {r["rule"] for r in results if r["outcome"] in ("failed", "warned")}
    assert {"T2", "T6", "R1", "R2", "R3", "R4", "R5", "C3", "D1", "D12", "T9", "S2"} <= bad


def test_nothing_that_names_someone_survives_in_the_mutated_fixture() -> None:
    data, results = checked(*mutated(), PreflightConfig(brand_names=("Northwind",)))
    examples = every_example(data, results, KNOWN)
    assert len(examples) > 20
    found = {key: leaks(example, FIXTURE_SECRETS) for key, example in examples.items()}
    assert {key: words for key, words in found.items() if words} == {}
    for example in examples.values():
        assert "<script" not in example.excerpt
        assert "onclick" not in example.excerpt
        assert len(example.excerpt) <= MAX_EXCERPT


def test_the_links_keep_their_shape_and_their_utm_parameters() -> None:
    data, results = checked(*mutated(), PreflightConfig(brand_names=("Northwind",)))
    by_rule = {r["rule"]: r for r in results}
    r3 = scrub_example(data, "R3", by_rule["R3"]["findings"], KNOWN)
    assert r3.language == "html"
    assert ('href="https://www.brand.example/sizes?utm_medium=Newsletter&amp;ref=x&amp;u=x"'
            in r3.excerpt)
    assert ">size guide</a>" in r3.excerpt
    assert {(r.kind, r.count) for r in r3.replaced} == {("link", 1), ("query", 2)}
    d12 = scrub_example(data, "D12", by_rule["D12"]["findings"], KNOWN)
    assert "http://192.0.2.1/unsubscribe?u=x&amp;utm_source=brand" in d12.excerpt
    assert "https://www.brand.example:8443/preferences?u=x" in d12.excerpt
    assert "<!-- script removed -->" in d12.excerpt


def test_what_was_replaced_is_counted_by_kind_never_by_value() -> None:
    data, results = checked(*mutated(), PreflightConfig(brand_names=("Northwind",)))
    t2 = next(r for r in results if r["rule"] == "T2")
    example = scrub_example(data, "T2", t2["findings"], KNOWN)
    kinds = {r.kind: r.count for r in example.replaced}
    assert kinds["email"] == 1
    assert kinds["name"] == 3  # Ana Lopez, Maria Gonzalez (a greeting), Leo Lead (a member)
    assert kinds["phone"] == 1
    assert kinds["image"] == 1
    assert kinds["script"] == 1
    assert kinds["handler"] == 1
    assert "Hi Alex Sample, call 555-0100 or write to person1@brand.example." in \
        example.excerpt
    assert 'src="https://cdn.brand.example/image1.png"' in example.excerpt
    assert all(r.label for r in example.replaced)


def test_headers_metadata_and_audience_are_lines_of_text() -> None:
    data, results = checked(*mutated(), PreflightConfig(brand_names=("Northwind",)))
    by_rule = {r["rule"]: r for r in results}
    c3 = scrub_example(data, "C3", by_rule["C3"]["findings"], KNOWN)
    assert c3.language == "text"
    assert c3.excerpt == ("From: Brand <person1@brand.example>\n"
                          "Reply-To: Alex Sample <person2@example.com>")
    d1 = scrub_example(data, "D1", by_rule["D1"]["findings"], KNOWN)
    assert d1.excerpt.splitlines() == [
        "From: Brand <person1@brand.example>",
        "List-Unsubscribe: <https://www.brand.example/u/one-click?u=x>, "
        "<mailto:person2@brand.example>",
        "X-Campaign: spring"]
    r5 = scrub_example(data, "R5", by_rule["R5"]["findings"], KNOWN)
    assert r5.excerpt.splitlines()[0] == "campaign.name: Brand Winter Sale"
    s2 = scrub_example(data, "S2", by_rule["S2"]["findings"], KNOWN)
    assert 'lists contains "brand-vip"' in s2.excerpt
    assert "exclude: hard_bounced = true" in s2.excerpt


def test_the_postal_address_is_replaced_with_its_town_and_postcode() -> None:
    html = (DATA / "good.html").read_text()
    data, _ = checked(html, (DATA / "good.yaml").read_text(), PreflightConfig())
    footer = scrub_example(data, "C1", [{"severity": "fail", "where": "footer"}])
    assert "<p>Brand Ltd, 1 Example Street, Exampletown.</p>" in footer.excerpt
    assert "subscribed at brand.example." in footer.excerpt
    assert {r.kind for r in footer.replaced} >= {"address", "brand", "domain", "link"}


def test_a_text_only_email_gives_text() -> None:
    data = {"campaign": {"owner": "ana.lopez@northwind.co.uk"},
            "email": {"from": "Ana from Northwind <ana@northwind.co.uk>",
                      "text": "Hi Ana,\nsee https://shop.northwind.co.uk/p/123?id=9\n"
                              "Northwind Ltd, PO Box 42, Leeds LS1 4AP\n"}}
    example = scrub_example(data, "C1", [{"severity": "fail", "where": "footer"}])
    assert example.language == "text"
    assert example.excerpt == ("Hi Alex Sample,\nsee https://shop.brand.example/p/000?id=x\n"
                               "Brand Ltd, 1 Example Street, Exampletown")
    headers = scrub_example(data, "C8", [{"severity": "warn", "where": "from"}])
    assert headers.excerpt == "From: Alex Sample from Brand <person1@brand.example>"


@pytest.mark.parametrize(("href", "expected"), [
    ("mailto:ana.lopez@northwind.co.uk?subject=Hi%20Ana", "mailto:person1@brand.example"
     "?subject=Hi%20Alex-Sample"),
    ("tel:+441174960123", "tel:+15550100"),
    ("javascript:alert(document.cookie)", "javascript:..."),
    ("javascript:void(0)", "javascript:void(0)"),
    ("#", "#"),
    ("*|UNSUB|*", "*|UNSUB|*"),
    ("{{ unsubscribe_url }}?utm_source=x", "{{ unsubscribe_url }}?utm_source=x"),
    ("https://user:secret@news.northwind.co.uk/a/b.html#top?utm_medium=email",
     "https://news.brand.example/a/b.html#top?utm_medium=email"),
    ("facebook.com", "brand2.example"),
    ("https://go.other-shop.com/r/8f3Kq9xZ2/ana-lopez?email=ana%40northwind.co.uk",
     "https://go.brand2.example/r/id/alex-sample-alex-sample?email=x"),
    ("https://example.com/", "https://example.com/"),
])
def test_links_are_rewritten(href: str, expected: str) -> None:
    data = {"campaign": {"owner": "ana.lopez@northwind.co.uk"},
            "email": {"from": "Northwind <news@northwind.co.uk>",
                      "html": f'<p>Read <a href="{href}">this</a> please, it is worth it.</p>'}}
    example = scrub_example(data, "D12", [{"severity": "warn", "where": "link 1 (x)"}])
    assert f'href="{expected.replace("&", "&amp;")}"' in example.excerpt


def test_the_same_input_gives_the_same_excerpt_and_digest() -> None:
    data, results = checked(*mutated(), PreflightConfig(brand_names=("Northwind",)))
    t2 = next(r for r in results if r["rule"] == "T2")
    first = scrub_example(data, "T2", t2["findings"], KNOWN)
    again = scrub_example(data, "T2", t2["findings"], KNOWN)
    assert first == again
    assert first.digest(RUN) == again.digest(RUN)
    assert re.fullmatch(r"[0-9a-f]{64}", first.digest(RUN))
    assert first.digest(RUN) != first.digest(RUN.replace("1", "2"))
    other = scrub_example(data, "T2", t2["findings"], Known(brand_names=("Outdoor",)))
    assert other.digest(RUN) != first.digest(RUN)


def test_excerpt_language() -> None:
    assert excerpt_language("From: x\n\n<p>y</p>") == "html"
    assert excerpt_language("campaign.name: x") == "text"


@needs_templates
@pytest.mark.parametrize(("template", "sender", "brand", "secrets"), [
    ("leemunroe__responsive-html-email-template/email.html",
     "Company Inc <hello@htmlemail.io>", "Company Inc",
     ("htmlemail", "htmlemail.io", "company inc", "commercial ct", "belfast", "bt1 2nb",
      "7-11")),
    ("emailmonday__Cerberus/cerberus-responsive.html",
     "Company Name <hello@google.com>", "Company Name",
     ("google", "google.com", "placeholder.com", "googleapis", "github", "company name",
      "fake street", "springfield", "97477", "456-7890", "(123)", "litmus")),
])
def test_real_templates_leak_nothing(template: str, sender: str, brand: str,
                                     secrets: tuple[str, ...]) -> None:
    html = (TEMPLATES / template).read_text()
    side = (f"campaign:\n  name: 2026-12_email_all_launch\n  message_type: marketing\n"
            f"email:\n  subject: Hello\n  from: {sender}\n")
    config = config_from_data({"brand_names": [brand]})
    data, results = checked(html, side, config)
    examples = every_example(data, results, Known(brand_names=(brand,)))
    found = {key: leaks(example, secrets) for key, example in examples.items()}
    assert {key: words for key, words in found.items() if words} == {}
    footer = examples["C1@footer"]
    assert "1 Example Street, Exampletown" in footer.excerpt
    assert any(r.kind == "address" for r in footer.replaced)
    assert all(len(e.excerpt) <= MAX_EXCERPT for e in examples.values())


@needs_templates
def test_a_large_template_is_cut_to_a_few_kilobytes() -> None:
    html = (TEMPLATES / "ColorlibHQ__email-templates/1/index.html").read_text()
    data = {"email": {"html": html, "from": "Shop <hi@colorlib.com>"}}
    example = scrub_example(data, "T1", [{"severity": "fail", "where": "the page"}])
    assert 0 < len(example.excerpt) <= MAX_EXCERPT
    assert "colorlib" not in example.excerpt.lower()
