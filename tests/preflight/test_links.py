"""Links: kinds, UTM rules, placeholders and hygiene."""

from __future__ import annotations

import pytest

from learnloop.domain.preflight import links
from learnloop.domain.preflight.config import PreflightConfig, UtmPolicy
from learnloop.domain.preflight.findings import Outcome, Severity
from learnloop.domain.preflight.page import Link, read_page

CONFIG = PreflightConfig()


def link(href: str, text: str = "Shop now", index: int = 1) -> Link:
    return Link(index, href, text, False, "a")


@pytest.mark.parametrize(("href", "kind"), [
    ("https://shop.brand.com/a?utm_source=x", links.LinkKind.WEB),
    ("*|UNSUB|*", links.LinkKind.MERGE),
    ("{{unsubscribe}}", links.LinkKind.MERGE),
    ("<%asm_group_unsubscribe_raw_url%>", links.LinkKind.MERGE),
    ("[Unsubscribe]", links.LinkKind.MERGE),
    ("mailto:hi@brand.com", links.LinkKind.MAILTO),
    ("tel:+441234", links.LinkKind.TEL),
    ("#top", links.LinkKind.ANCHOR),
    ("#", links.LinkKind.PLACEHOLDER),
    ("", links.LinkKind.PLACEHOLDER),
    ("javascript:void(0)", links.LinkKind.PLACEHOLDER),
    ("https://www.example.com/landing", links.LinkKind.PLACEHOLDER),
    ("javascript:alert(1)", links.LinkKind.UNSAFE),
    ("file:///etc/passwd", links.LinkKind.UNSAFE),
    ("ftp://files.brand.com", links.LinkKind.OTHER),
])
def test_links_are_classified(href: str, kind: links.LinkKind) -> None:
    assert links.classify(link(href)).kind is kind


def utm(hrefs: list[str], name: str | None = "2026-12_email_all_sale",
        config: PreflightConfig = CONFIG) -> dict[str, list[str]]:
    dests = links.destinations(tuple(link(h, index=i) for i, h in enumerate(hrefs, start=1)))
    results = links.utm_rules(dests, name, ("brand.com",), config)
    return {r.rule: [f.message for f in r.findings] for r in results}


def test_an_owned_link_needs_source_medium_and_campaign() -> None:
    found = utm(["https://brand.com/sale?utm_source=newsletter"])
    assert found["R1"] == ["Missing utm_medium, utm_campaign."]


def test_a_clean_link_passes_every_utm_rule() -> None:
    found = utm(["https://www.brand.com/sale?utm_source=newsletter&utm_medium=email"
                 "&utm_campaign=2026-12_email_all_sale&utm_content=hero"])
    assert found == {"R1": [], "R2": [], "R3": [], "R4": [], "R6": []}


def test_third_party_links_are_not_asked_for_utm() -> None:
    assert utm(["https://www.instagram.com/brand"])["R1"] == []


def test_values_must_be_lowercase_without_spaces_or_duplicates() -> None:
    found = utm(["https://brand.com/?utm_source=News Letter&utm_medium=Email"
                 "&utm_campaign=x&utm_campaign=y"])
    assert any("utm_campaign appears 2 times" in m for m in found["R2"])
    assert any("space" in m for m in found["R2"])
    assert any("utm_medium='Email': not lowercase" in m for m in found["R2"])
    assert found["R3"] == []  # the value is email; its case is R2's business
    found = utm(["https://brand.com/?utm_source=a&utm_medium=newsletter&utm_campaign=c"], "c")
    assert found["R3"] == ["utm_medium is 'newsletter'; use 'email' so GA4 counts it as email."]


def test_a_fragment_before_the_query_hides_the_parameters() -> None:
    found = utm(["https://brand.com/#/sale?utm_source=a&utm_medium=email&utm_campaign=b"])
    assert any("# comes before the ?" in m for m in found["R2"])


def test_utm_on_an_unsubscribe_link_is_noise() -> None:
    found = utm(["https://brand.com/unsubscribe?utm_source=a&utm_medium=email"])
    assert found["R4"]
    assert found["R1"] == []


def test_utm_campaign_should_be_the_campaign_name() -> None:
    found = utm(["https://brand.com/?utm_source=a&utm_medium=email&utm_campaign=winter"])
    assert found["R6"] == ["utm_campaign is 'winter', the campaign is named "
                           "'2026-12_email_all_sale'."]


def test_merge_tag_values_are_left_to_the_esp() -> None:
    found = utm(["https://brand.com/?utm_source=a&utm_medium=email&utm_campaign=*|CAMPAIGN|*"])
    assert found["R2"] == []


def test_a_custom_medium_is_configurable() -> None:
    config = PreflightConfig(utm=UtmPolicy(medium="e-mail"))
    found = utm(["https://brand.com/?utm_source=a&utm_medium=e-mail&utm_campaign=c"], "c",
                config)
    assert found["R3"] == []


def test_turned_off_rules_are_left_out() -> None:
    config = PreflightConfig(overrides={"R1": "off", "R3": Severity.WARN})
    dests = links.destinations((link("https://brand.com/?utm_medium=mail"),))
    results = {r.rule: r for r in links.utm_rules(dests, None, ("brand.com",), config)}
    assert "R1" not in results
    assert results["R3"].outcome is Outcome.WARNED


def test_placeholders_and_hygiene() -> None:
    page = read_page('<a href="#">Buy</a><a href="http://93.184.216.34/x">ip</a>'
                     '<a href="https://brand.com:8443/">port</a><a href="javascript:alert(1)">'
                     'js</a><form></form><script>1</script>')
    dests = links.destinations(page.links)
    placeholder = links.placeholder_links(dests, CONFIG)
    assert placeholder is not None
    assert [f.where for f in placeholder.findings] == ["link 1 (#)"]
    hygiene = links.hygiene(dests, page.forbidden, CONFIG)
    assert hygiene is not None
    messages = " ".join(f.message for f in hygiene.findings)
    assert "bare IP address" in messages
    assert "non-standard port" in messages
    assert "javascript: link" in messages
    assert "<form>" in messages
    assert "<script>" in messages


def test_registrable_domains() -> None:
    assert links.registrable("news.shop.brand.co.uk") == "brand.co.uk"
    assert links.registrable("email.brand.com") == "brand.com"
