"""Item templates: `{name}` placeholders, literal braces, and how numbers are shown."""

from __future__ import annotations

import pytest

from learnloop.domain.content.templates import TemplateError, fields_in, render, show


def test_fields_are_the_placeholder_names() -> None:
    assert fields_in("{sent} sent, {bounced} bounced, {sent} again") == {"sent", "bounced"}


def test_doubled_braces_are_literal_text_not_fields() -> None:
    assert fields_in("JSON looks like {{\"a\": {value}}}") == {"value"}
    assert render("{{literal}} and {value}", {"value": 3}) == "{literal} and 3"


def test_values_are_inserted_as_written_without_escaping() -> None:
    assert render("Code {code}.", {"code": "{550} 5.1.1 }"}) == "Code {550} 5.1.1 }."


def test_text_without_placeholders_is_unchanged() -> None:
    assert fields_in("Plain text.") == set()
    assert render("Plain text.", {}) == "Plain text."


@pytest.mark.parametrize(("template", "message"), [
    ("{", "malformed template"),
    ("a } b", "malformed template"),
    ("{}", "must be a plain name"),
    ("{0}", "must be a plain name"),
    ("{a.b}", "must be a plain name"),
    ("{a[0]}", "must be a plain name"),
    ("{a!r}", "must not carry a format or conversion"),
    ("{a:>5}", "must not carry a format or conversion"),
])
def test_malformed_templates_are_template_errors(template: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        fields_in(template)


def test_render_names_the_first_unknown_placeholder() -> None:
    with pytest.raises(TemplateError, match=r"unknown placeholder \{alpha\}"):
        render("{zeta} {alpha} {known}", {"known": 1})


@pytest.mark.parametrize(("value", "shown"), [
    (2024, "2024"),                    # a year is not grouped
    (9999, "9999"),
    (10000, "10,000"),                 # from 10,000 up, thousands separators
    (-12000, "-12,000"),
    (1250000, "1,250,000"),
    (12000.0, "12,000"),               # whole-number results without decimals
    (2.0, "2"),
    (2.5, "2.5"),
    (1 / 3, "0.3333"),                 # at most four decimals
    (2.04081632, "2.0408"),
    (0.99999, "1"),
    (1234567.891, "1,234,567.891"),
    ("550 5.1.1", "550 5.1.1"),
])
def test_how_values_are_shown(value: object, shown: str) -> None:
    assert show(value) == shown


def test_render_uses_the_shown_form_of_numbers() -> None:
    text = render("{sent} sent, rate {rate}%", {"sent": 25000, "rate": 0.96})
    assert text == "25,000 sent, rate 0.96%"
