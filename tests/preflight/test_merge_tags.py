"""Merge tags: detection per dialect, fallbacks, the merged preview, bad input, and the shared
template corpus (rule T8, and the C1/C2 tags other rules ask about)."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from learnloop.domain.preflight.merge_tags import (
    DEFAULT_SAMPLE,
    MAX_NESTING,
    Dialect,
    MergeTag,
    dialects,
    find_tags,
    missing_fallbacks,
    render,
    system_role,
)
from tests.shared_data import TEMPLATES as SHARED_TEMPLATES

CORPUS = SHARED_TEMPLATES


def only(text: str) -> MergeTag:
    tags = find_tags(text)
    assert len(tags) == 1, tags
    return tags[0]


def raws(text: str) -> list[str]:
    return [t.raw for t in find_tags(text)]


# --- Mailchimp -----------------------------------------------------------------------------

def test_mailchimp_variable_and_system_tags() -> None:
    text = ('<a href="*|UNSUB|*">x</a> *|FNAME|* *|LIST:COMPANY|* *|HTML:LIST_ADDRESS_HTML|*'
            '*|ARCHIVE|* *|CURRENT_YEAR|* *|LIST:ADDRESS|* *|RSSITEM:TITLE|*')
    tags = find_tags(text)
    assert [(t.name, t.kind, system_role(t)) for t in tags] == [
        ("UNSUB", "system", "unsubscribe"),
        ("FNAME", "variable", None),
        ("LIST:COMPANY", "system", "company"),
        ("HTML:LIST_ADDRESS_HTML", "system", "postal_address"),
        ("ARCHIVE", "system", "archive"),
        ("CURRENT_YEAR", "system", "current_year"),
        ("LIST:ADDRESS", "system", "postal_address"),
        ("RSSITEM:TITLE", "system", None),
    ]
    assert {t.dialect for t in tags} == {Dialect.MAILCHIMP}
    assert missing_fallbacks(tags) == [tags[1]]
    assert tags[0].start == text.index("*|UNSUB|*")
    assert tags[0].line == 1


def test_mailchimp_if_else_is_a_fallback_and_picks_the_branch() -> None:
    text = "*|IF:FNAME|*Hi *|FNAME|*,*|ELSE:|*Hi,*|END:IF|*"
    fname = find_tags(text)[1]
    assert (fname.name, fname.fallback, fname.needs_fallback) == ("FNAME", "Hi,", False)
    assert [t.kind for t in find_tags(text)] == ["block", "variable", "block", "block"]
    assert render(text, DEFAULT_SAMPLE).text == "Hi Alex,"
    assert render(text, {}).text == "Hi,"
    assert render(text, {"FNAME": ""}).text == "Hi,"


def test_mailchimp_guard_without_else_is_an_empty_fallback() -> None:
    tag = find_tags("*|IF:FNAME|*Dear *|FNAME|*,*|END:IF|*")[1]
    assert tag.fallback == ""
    assert not tag.needs_fallback


def test_mailchimp_ifnot_elseif_and_comparisons() -> None:
    text = ("*|IF:PLAN=pro|*P*|ELSEIF:PLAN=team|*T*|ELSE:|*F*|END:IF|*"
            "|*|IFNOT:LNAME|*none*|ELSE:|**|LNAME|**|END:IF|*")
    assert render(text, {"PLAN": "PRO", "LNAME": "Morgan"}).text == "P|Morgan"
    assert render(text, {"plan": "team"}).text == "T|none"
    assert render(text, {}).text == "F|none"
    lname = next(t for t in find_tags(text) if t.raw == "*|LNAME|*")
    assert lname.fallback == "none"


def test_mailchimp_functions_and_date() -> None:
    text = "*|TITLE:FNAME|* *|UPPER:LNAME|* *|LOWER:FNAME|* *|HTML:FNAME|* *|DATE:Y|*"
    out = render(text, {"FNAME": "aLEX <b>", "LNAME": "Morgan"}, year=2031)
    assert out.text == "Alex &lt;B&gt; MORGAN alex &lt;b&gt; aLEX &lt;b&gt; 2031"
    assert [t.name for t in find_tags(text)[:4]] == ["FNAME", "LNAME", "FNAME", "FNAME"]


def test_mailchimp_archive_page_and_rewards_as_in_the_blueprints() -> None:
    text = ("<!-- *|IFNOT:ARCHIVE_PAGE|* -->view<!-- *|END:IF|* -->"
            "*|IF:REWARDS|* *|HTML:REWARDS|* *|END:IF|*")
    out = render(text, DEFAULT_SAMPLE)
    assert out.text == "<!--  -->view<!--  -->"
    assert out.unresolved == ()


def test_current_year_is_left_unresolved_without_a_year() -> None:
    out = render("(c) *|CURRENT_YEAR|*", DEFAULT_SAMPLE)
    assert out.text == "(c) *|CURRENT_YEAR|*"
    assert [t.raw for t in out.unresolved] == ["*|CURRENT_YEAR|*"]
    assert render("(c) *|CURRENT_YEAR|*", DEFAULT_SAMPLE, year=2026).text == "(c) 2026"


def test_email_address_never_needs_a_fallback() -> None:
    assert not only("*|EMAIL|*").needs_fallback
    assert not only("{{ contact.email }}").needs_fallback


# --- Handlebars and Mustache ----------------------------------------------------------------

def test_handlebars_tags_kinds_and_names() -> None:
    text = ("{{#if first_name}}{{first_name}}{{else}}there{{/if}} {{{raw}}} {{&amp}} "
            "{{! note }} {{!-- {{inside}} --}} {{#each items}}{{this.name}}{{/each}} "
            "{{^vip}}join{{/vip}} {{> footer}}")
    # {{#items}} with no such sample value is a list, shown once; {{^items}} then shows nothing
    assert render("{{#items}}[{{x}}]{{/items}}{{^items}}none{{/items}}", {"x": "1"}).text == "[1]"
    tags = find_tags(text)
    assert [(t.raw, t.kind, t.name) for t in tags] == [
        ("{{#if first_name}}", "block", "first_name"),
        ("{{first_name}}", "variable", "first_name"),
        ("{{else}}", "block", "else"),
        ("{{/if}}", "block", "/if"),
        ("{{{raw}}}", "variable", "raw"),
        ("{{&amp}}", "variable", "amp"),
        ("{{! note }}", "comment", ""),
        ("{{!-- {{inside}} --}}", "comment", ""),
        ("{{#each items}}", "block", "items"),
        ("{{this.name}}", "variable", "this.name"),
        ("{{/each}}", "block", "/each"),
        ("{{^vip}}", "block", "vip"),
        ("{{/vip}}", "block", "/vip"),
        ("{{> footer}}", "block", "footer"),
    ]
    assert {t.dialect for t in tags} == {Dialect.HANDLEBARS}
    assert tags[1].fallback == "there"
    assert tags[9].in_loop
    assert not tags[9].needs_fallback
    assert [t.raw for t in missing_fallbacks(tags)] == ["{{{raw}}}", "{{&amp}}"]


def test_handlebars_if_else_renders_the_right_branch() -> None:
    text = "Hi {{#if first_name}}{{first_name}}{{else}}there{{/if}}!"
    assert render(text, DEFAULT_SAMPLE).text == "Hi Alex!"
    assert render(text, {}).text == "Hi there!"
    assert render(text, {"first_name": "false"}).text == "Hi there!"


def test_handlebars_else_if_chain_as_in_sendgrid_different_languages() -> None:
    text = "{{#if english}}EN{{else if spanish}}ES{{else if french}}FR{{/if}}"
    assert render(text, {"spanish": "true"}).text == "ES"
    assert render(text, {"english": "yes", "french": "1"}).text == "EN"
    assert render(text, {}).text == ""


def test_handlebars_unless_sections_and_comparison_helpers() -> None:
    text = ("{{#unless vip}}join{{else}}welcome back{{/unless}}|"
            "{{#first_name}}Hi {{first_name}}{{/first_name}}{{^first_name}}Hi you{{/first_name}}|"
            '{{#equals plan "pro"}}PRO{{else}}free{{/equals}}|'
            "{{#greaterThan seats 5}}big{{else}}small{{/greaterThan}}")
    assert render(text, {"plan": "Pro", "seats": "12"}).text == "join|Hi you|PRO|big"
    assert (render(text, {"vip": "yes", "first_name": "Sam", "seats": "2"}).text
            == "welcome back|Hi Sam|free|small")


def test_handlebars_escapes_sample_values_in_double_and_triple_stash() -> None:
    sample = {"first_name": '<b>"Al" & co</b>'}
    out = render('<p title="{{first_name}}">{{{first_name}}}</p>', sample)
    assert out.text == ('<p title="&lt;b&gt;&quot;Al&quot; &amp; co&lt;/b&gt;">'
                        "&lt;b&gt;&quot;Al&quot; &amp; co&lt;/b&gt;</p>")


def test_sendgrid_insert_helper_default() -> None:
    tag = only('Hello {{insert name "default=Customer"}}!')
    assert (tag.name, tag.fallback, tag.needs_fallback) == ("name", "Customer", False)
    assert render('Hello {{insert name "default=Customer"}}!', {}).text == "Hello Customer!"
    assert (render('Hello {{insert name "default=Customer"}}!', DEFAULT_SAMPLE).text
            == "Hello Alex Morgan!")
    assert only('{{insert business "your business"}}').fallback == "your business"


def test_loops_render_their_body_once() -> None:
    text = "<ul>{{#each items}}<li>{{@index}} {{first_name}}</li>{{else}}none{{/each}}</ul>"
    assert render(text, DEFAULT_SAMPLE).text == "<ul><li>0 Alex</li></ul>"
    liquid = "{% for item in cart %}<td>{{ item.title }}</td>{% else %}empty{% endfor %}"
    out = render(liquid, {"title": "Kettle"})
    assert out.text == "<td>Kettle</td>"


def test_unknown_helpers_and_partials_stay_unresolved() -> None:
    text = "{{> footer}} {{#myHelper a}}body {{first_name}}{{/myHelper}} {{length items}}"
    out = render(text, DEFAULT_SAMPLE)
    assert out.text == "{{> footer}} {{#myHelper a}}body Alex{{/myHelper}} {{length items}}"
    assert [t.raw for t in out.unresolved] == [
        "{{> footer}}", "{{#myHelper a}}", "{{/myHelper}}", "{{length items}}"]


def test_postmark_unsubscribe_placeholder() -> None:
    tag = only('<a href="{{{ pm:unsubscribe }}}">Unsubscribe</a>')
    assert (tag.kind, system_role(tag)) == ("system", "unsubscribe")
    assert render("{{{ pm:unsubscribe }}}", {}).text == "https://preview.invalid/unsubscribe"


# --- Liquid ---------------------------------------------------------------------------------

def test_liquid_default_filter_conditions_and_filters() -> None:
    text = ('Hi {{ first_name | default: "there" }}, '
            "{% if city %}from {{ city | upcase }}{% elsif zip %}zip{% else %}far{% endif %}")
    tags = find_tags(text)
    assert {t.dialect for t in tags} == {Dialect.LIQUID}
    assert tags[0].fallback == "there"
    assert tags[2].raw == "{{ city | upcase }}"
    assert tags[2].fallback == "far"
    assert render(text, DEFAULT_SAMPLE).text == "Hi Alex, from SPRINGFIELD"
    assert render(text, {"zip": "1"}).text == "Hi there, zip"
    assert render(text, {}).text == "Hi there, far"


def test_liquid_conditions_with_operators() -> None:
    text = ('{% if plan == "pro" and seats > 3 %}A{% elsif plan != "free" or vip %}B'
            "{% else %}C{% endif %}{% unless vip %}!{% endunless %}")
    assert render(text, {"plan": "pro", "seats": "5"}).text == "A!"
    assert render(text, {"plan": "team"}).text == "B!"
    assert render(text, {"plan": "free", "vip": "true"}).text == "B"
    assert render(text, {"plan": "free"}).text == "C!"


def test_liquid_case_raw_comment_and_whitespace_control() -> None:
    text = ("{%- case plan -%}{% when 'a', 'b' %}AB{% when 'c' %}C{% else %}other{% endcase %}"
            "|{% raw %}{{ literal }}{% endraw %}|{% comment %}{{ hidden }}{% endcomment %}|"
            "{{- first_name -}}")
    assert render(text, {"plan": "b", "first_name": "Sam"}).text == "AB|{{ literal }}||Sam"
    assert render(text, {"plan": "z"}).text.startswith("other|")
    kinds = [(t.name, t.kind) for t in find_tags(text)]
    assert ("raw", "block") in kinds
    assert ("comment", "comment") in kinds
    assert "literal" not in " ".join(t.name for t in find_tags(text))


def test_liquid_current_year_unsubscribe_and_unsupported_statements() -> None:
    text = ('(c) {{ "now" | date: "%Y" }} {% unsubscribe "Opt out" %} {% manage_preferences %}'
            " {% assign x = 1 %}")
    tags = find_tags(text)
    assert [system_role(t) for t in tags] == ["current_year", "unsubscribe", "preferences", None]
    out = render(text, {}, year=2027)
    assert out.text == ('(c) 2027 <a href="https://preview.invalid/unsubscribe">Opt out</a> '
                        '<a href="https://preview.invalid/preferences">Manage preferences</a> '
                        "{% assign x = 1 %}")
    assert [t.raw for t in out.unresolved] == ["{% assign x = 1 %}"]


def test_braze_attribute_syntax() -> None:
    tag = only("Hi {{${first_name} | default: 'friend'}}")
    assert (tag.dialect, tag.fallback) == (Dialect.LIQUID, "friend")
    assert render("Hi {{${first_name} | default: 'friend'}}", DEFAULT_SAMPLE).text == "Hi Alex"
    assert render("Hi {{${first_name}}}!", {}).text == "Hi {{${first_name}}}!"
    assert render("Hi {{${first_name}}}!", DEFAULT_SAMPLE).text == "Hi Alex!"


def test_plain_tags_take_the_documents_dialect() -> None:
    liquid = "{{ first_name }} {% if vip %}x{% endif %}"
    assert dialects(find_tags(liquid)) == (Dialect.LIQUID,)
    handlebars = "{{ first_name }} {{#if vip}}x{{/if}}"
    assert dialects(find_tags(handlebars)) == (Dialect.HANDLEBARS,)
    hubspot = "{{ first_name }} {{ contact.lastname }} {% if vip %}x{% endif %}"
    assert dialects(find_tags(hubspot)) == (Dialect.HUBSPOT,)


# --- HubSpot --------------------------------------------------------------------------------

def test_hubspot_tokens_defaults_and_system_tags() -> None:
    text = ('Hi {{ contact.firstname|default("there") }} '
            '{{ personalization_token("contact.lastname", "friend") }} '
            "{% if contact.city %}in {{ contact.city }}{% endif %} "
            '<a href="{{ unsubscribe_link }}">u</a> {{ site_settings.company_name }}, '
            "{{ site_settings.company_street_address_1 }}, {{ site_settings.company_city }}")
    tags = find_tags(text)
    assert {t.dialect for t in tags} == {Dialect.HUBSPOT}
    assert [(t.name, t.fallback) for t in tags if t.kind == "variable"] == [
        ("contact.firstname", "there"), ("contact.lastname", "friend"), ("contact.city", "")]
    assert [system_role(t) for t in tags if t.kind == "system"] == [
        "unsubscribe", "company", "postal_address", "postal_address_part"]
    out = render(text, DEFAULT_SAMPLE)
    assert out.text == ("Hi Alex Morgan in Springfield "
                        '<a href="https://preview.invalid/unsubscribe">u</a> Northwind Traders, '
                        "1 Sample Street, Springfield")
    assert render(text, {}).text.startswith("Hi there friend  <a")


# --- SendGrid legacy ------------------------------------------------------------------------

def test_sendgrid_legacy_tags() -> None:
    text = ("[Sender_Name] [Sender_Address], [Sender_City], [Sender_State] [Sender_Zip] "
            '<a href="[Unsubscribe]">u</a> <a href="[Unsubscribe_Preferences]">p</a> '
            '<a href="<%asm_group_unsubscribe_raw_url%>">g</a> <%asm_preferences_raw_url%> '
            "[Weblink] <%body%> [%first_name | friend%] -last_name- %recipient.city%")
    tags = find_tags(text)
    assert {t.dialect for t in tags} == {Dialect.SENDGRID_LEGACY}
    assert [system_role(t) for t in tags] == [
        "sender", "postal_address", "postal_address_part", "postal_address_part",
        "postal_address_part", "unsubscribe", "preferences", "unsubscribe", "preferences",
        "archive", "body", None, None, None]
    assert [(t.name, t.fallback) for t in tags if t.kind == "variable"] == [
        ("first_name", "friend"), ("last_name", None), ("recipient.city", None)]
    out = render(text, {**DEFAULT_SAMPLE, "body": "<p>Hello</p>"})
    assert out.text == (
        "Northwind Traders 1 Sample Street, Springfield, IL 12345 "
        '<a href="https://preview.invalid/unsubscribe">u</a> '
        '<a href="https://preview.invalid/preferences">p</a> '
        '<a href="https://preview.invalid/unsubscribe">g</a> https://preview.invalid/preferences '
        "https://preview.invalid/view-in-browser &lt;p&gt;Hello&lt;/p&gt; Alex Morgan Springfield")


def test_legacy_substitutions_are_read_conservatively() -> None:
    text = ("re-enter the pre-sale -- a -b- c -webkit-text-size-adjust: 100%; width:50%; "
            "2024-05-12 %E2%80%99 %20name%20 50%off% -ms-interpolation-mode "
            '<style>.x{ -first_name- } %first_name%</style> <a href="?q=%e2%80%99abc">')
    assert find_tags(text) == []
    assert raws("Hello -name-, -first_name- and %unsubscribe_url%") == [
        "-name-", "-first_name-", "%unsubscribe_url%"]


# --- detection must not misread HTML and CSS ------------------------------------------------

def test_css_and_mso_comments_are_not_tags() -> None:
    text = ("<style>a{{color:red}} @media{.a{b:c}} .b{width:100%}</style>"
            "<!--[if mso]><table><![endif]--><!--[if gte mso 9]><xml></xml><![endif]-->"
            "<p>[if mso] [Sender] [unsubscribe here] *| not a tag |* {{ }} {{ a; b }}</p>")
    assert find_tags(text) == []
    out = render(text, DEFAULT_SAMPLE)
    assert out.text == text
    assert out.unresolved == ()


def test_a_tag_inside_a_style_block_still_counts() -> None:
    assert raws("<style>.btn{color: {{ brand_color }}}</style>") == ["{{ brand_color }}"]


# --- aliases, the sample, and dialect counts ------------------------------------------------

@pytest.mark.parametrize("tag", [
    "*|FNAME|*", "{{first_name}}", "{{ contact.firstname }}", "{{FirstName}}", "[%first_name%]",
    "{{ user.first_name }}", "-first_name-", "%recipient.first_name%", "{{ given_name }}",
])
def test_first_name_aliases(tag: str) -> None:
    out = render(tag, DEFAULT_SAMPLE)
    assert (out.text, out.used_sample) == ("Alex", ("first_name",))


def test_sample_keys_are_matched_case_insensitively_and_through_aliases() -> None:
    out = render("{{first_name}} {{ company.name }} {{address01}}",
                 {"FNAME": "Sam", "Company": "Acme", "street": "2 Road"})
    assert out.text == "Sam Acme 2 Road"
    assert out.used_sample == ("FNAME", "Company", "street")


def test_dialects_are_ordered_by_count() -> None:
    tags = find_tags("*|FNAME|* {{a}} {{b}} [Sender_Name]")
    assert dialects(tags) == (Dialect.HANDLEBARS, Dialect.MAILCHIMP, Dialect.SENDGRID_LEGACY)
    assert dialects([]) == ()


def test_system_role_is_none_for_variables_and_blocks() -> None:
    text = "{{unsubscribe_reason}} {{#if unsubscribe}}x{{/if}} *|IF:UNSUB|**|END:IF|*"
    assert [system_role(tag) for tag in find_tags(text)] == [None] * 5


def test_lines_and_offsets() -> None:
    text = "a\n\n  {{x}}\n*|FNAME|*"
    tags = find_tags(text)
    assert [(t.line, t.start, t.end) for t in tags] == [(3, 5, 10), (4, 11, 20)]
    assert all(text[t.start:t.end] == t.raw for t in tags)


# --- bad input ------------------------------------------------------------------------------

def test_unbalanced_handlebars_block_is_left_and_reported() -> None:
    text = "{{#if vip}}VIP {{first_name}} and more"
    out = render(text, DEFAULT_SAMPLE)
    assert out.text == "{{#if vip}}VIP Alex and more"
    assert [t.raw for t in out.unresolved] == ["{{#if vip}}"]


def test_mailchimp_if_without_end() -> None:
    out = render("*|IF:FNAME|*Hi *|FNAME|* *|ELSE:|*Hello", DEFAULT_SAMPLE)
    assert out.text == "*|IF:FNAME|*Hi Alex *|ELSE:|*Hello"
    assert [t.raw for t in out.unresolved] == ["*|IF:FNAME|*", "*|ELSE:|*"]


def test_crossed_and_stray_closings() -> None:
    text = "{{#if a}}{{#each b}}x{{/if}}{{/each}}{{else}}"
    out = render(text, {"a": "1"})
    assert out.text == "{{#each b}}x{{/each}}{{else}}"
    assert [t.raw for t in out.unresolved] == ["{{#each b}}", "{{/each}}", "{{else}}"]


def test_unreadable_condition_keeps_the_block_as_text() -> None:
    out = render("{{#if (eq a b)}}yes{{else}}no{{/if}}", {})
    assert out.text == "{{#if (eq a b)}}yes{{else}}no{{/if}}"
    assert len(out.unresolved) == 3


def test_nesting_beyond_the_limit_is_left_as_text() -> None:
    depth = MAX_NESTING + 8
    text = "{{#if first_name}}" * depth + "{{first_name}}" + "{{/if}}" * depth
    out = render(text, DEFAULT_SAMPLE)
    assert out.text == "{{#if first_name}}" * 8 + "Alex" + "{{/if}}" * 8
    assert len(out.unresolved) == 16


def test_very_deep_nesting_does_not_recurse() -> None:
    text = "{{#if a}}*|IF:B|*{% if c %}" * 3000 + "x" + "{% endif %}*|END:IF|*{{/if}}" * 3000
    out = render(text, {"a": "1", "B": "1", "c": "1"})
    assert "x" in out.text
    assert len(out.unresolved) == 2 * (9000 - MAX_NESTING)


@pytest.mark.parametrize("text", [
    "{{{{" * 25_000,
    "{%" * 50_000,
    "*|" * 50_000,
    "{{!--" * 20_000,
    "<style>" * 14_000 + "-a_b-" * 1_000,
    "{{#if a}}" * 11_000,
    "[%" * 50_000,
])
def test_large_hostile_input_is_fast(text: str) -> None:
    started = time.perf_counter()
    out = render(text, DEFAULT_SAMPLE)
    assert time.perf_counter() - started < 10
    assert {t.raw for t in find_tags(out.text)} <= {t.raw for t in out.unresolved}


def test_hundred_kilobytes_of_braces_are_not_tags() -> None:
    text = "{{{{" * 25_000
    assert find_tags(text) == []
    assert render(text, DEFAULT_SAMPLE).text == text


def test_nul_bytes() -> None:
    text = "\x00{{first_name}}\x00*|FNAME|*{{fir\x00st}}"
    assert raws(text) == ["{{first_name}}", "*|FNAME|*"]
    assert render(text, DEFAULT_SAMPLE).text == "\x00Alex\x00Alex{{fir\x00st}}"


# --- properties -----------------------------------------------------------------------------

FRAGMENTS = st.sampled_from([
    "{{", "}}", "{{{", "}}}", "{%", "%}", "*|", "|*", "IF:", "IFNOT:", "ELSE:", "END:IF", "#if ",
    "#each ", "/if", "/each", "^", "else", "else if ", "first_name", "FNAME", "x", " ", "\n",
    "<!--", "-->", "[Sender_Address]", "[%", "%]", "<%", "%>", "-", "%", "|", ":", '"', "'",
    "default", "\x00", "<style>", "</style>", "{{!--", "--}}", "raw", "endraw", "endif",
    "for i in xs", "endfor", "!", "&", ">", "~", "contact.", "unsubscribe", "_", "(", ")",
])
TEXTS = st.lists(FRAGMENTS | st.text(max_size=3), max_size=60).map("".join)


@given(TEXTS)
def test_find_tags_is_well_formed(text: str) -> None:
    tags = find_tags(text)
    last = 0
    for tag in tags:
        assert tag.start >= last
        assert text[tag.start:tag.end] == tag.raw
        assert tag.line == text.count("\n", 0, tag.start) + 1
        last = tag.end


@given(TEXTS, st.dictionaries(st.sampled_from(["first_name", "FNAME", "x", "vip", "i"]),
                              st.text(alphabet="ab1 ", max_size=4)))
def test_render_never_raises_and_reports_every_leftover_tag(text: str,
                                                            sample: dict[str, str]) -> None:
    out = render(text, sample, year=2026)
    unresolved = {t.raw for t in out.unresolved}
    assert all(raw in out.text for raw in unresolved)
    assert {t.raw for t in find_tags(out.text)} <= unresolved


@given(st.text(alphabet=st.characters(blacklist_characters="{}*|<>[]%-")))
def test_text_without_tag_characters_is_unchanged(text: str) -> None:
    out = render(text, DEFAULT_SAMPLE)
    assert (out.text, out.unresolved, out.used_sample) == (text, (), ())


@given(st.text())
def test_sample_values_are_always_escaped(value: str) -> None:
    out = render("<b>{{{first_name}}}</b>*|FNAME|*", {"first_name": value})
    assert "<" not in out.text.removeprefix("<b>").replace("</b>", "", 1)


# --- the shared template corpus -------------------------------------------------------------

MANIFEST_DIALECTS = {
    "mailchimp": Dialect.MAILCHIMP,
    "handlebars": Dialect.HANDLEBARS,
    "mustache/handlebars-var": Dialect.HANDLEBARS,
    "sendgrid-legacy": Dialect.SENDGRID_LEGACY,
    "liquid": Dialect.LIQUID,
    "hubspot": Dialect.HUBSPOT,
}


def manifest() -> dict[str, set[Dialect]]:
    """local file -> the dialects MANIFEST.md's last column lists (its table has one row twice;
    the files are 42)."""
    expected: dict[str, set[Dialect]] = {}
    for line in (CORPUS / "MANIFEST.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 8 or not cells[0].endswith(".html"):
            continue
        listed = [d.strip() for d in cells[-1].split(",") if d.strip() not in ("", "-")]
        expected[cells[0]] = {MANIFEST_DIALECTS[d] for d in listed}
    return expected


def corpus_files() -> list[str]:
    if not CORPUS.is_dir():
        return []
    return sorted(str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*.html"))


needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared templates are missing")
LEFTOVER = re.compile(r"\{\{|\{%|\*\||\[Sender_|<%")
COMMENT = re.compile(r"<!--.*?-->", re.S)


def read(name: str) -> str:
    return (CORPUS / name).read_text(encoding="utf-8", errors="replace")


@needs_corpus
def test_the_manifest_lists_every_template() -> None:
    assert sorted(manifest()) == corpus_files()
    assert len(corpus_files()) == 42


@needs_corpus
@pytest.mark.parametrize("name", corpus_files())
def test_corpus_dialects_agree_with_the_manifest(name: str) -> None:
    assert set(dialects(find_tags(read(name)))) == manifest()[name]


@needs_corpus
@pytest.mark.parametrize("name", corpus_files())
def test_corpus_preview_has_no_leftover_tags_beyond_the_unresolved(name: str) -> None:
    out = render(read(name), DEFAULT_SAMPLE, year=2026)
    text = COMMENT.sub("", out.text)
    for tag in out.unresolved:
        text = text.replace(tag.raw, "")
    assert LEFTOVER.findall(text) == []


@needs_corpus
def test_corpus_mailchimp_blueprints() -> None:
    names = [n for n in corpus_files() if n.startswith("mailchimp__")]
    assert len(names) == 14
    for name in names:
        tags = find_tags(read(name))
        roles = {system_role(t) for t in tags}
        assert {"unsubscribe", "preferences", "postal_address", "company"} <= roles
        assert missing_fallbacks(tags) == []
        out = render(read(name), {**DEFAULT_SAMPLE, "subject": "Spring news"}, year=2026)
        assert out.unresolved == ()
        assert "Copyright &copy; 2026 Northwind Traders" in out.text
        assert 'href="https://preview.invalid/unsubscribe"' in out.text
        assert {t.raw for t in render(read(name), DEFAULT_SAMPLE, year=2026).unresolved} == {
            "*|MC:SUBJECT|*"}


@needs_corpus
def test_corpus_sendgrid_dynamic_templates() -> None:
    names = [n for n in corpus_files() if "dynamic-templates" in n]
    assert len(names) == 5
    for name in names:
        tags = find_tags(read(name))
        roles = [system_role(t) for t in tags]
        assert roles.count("unsubscribe") == 1
        assert roles.count("postal_address") == 1
        out = render(read(name), DEFAULT_SAMPLE, year=2026)
        assert "[Sender_" not in out.text
        assert "<%" not in out.text
        footer = " ".join(re.sub(r"<[^>]+>", " ", out.text).split())
        assert "Northwind Traders 1 Sample Street , Springfield , IL 12345" in footer
    receipt = render(read("sendgrid__email-templates/dynamic-templates/receipt/receipt.html"),
                     {**DEFAULT_SAMPLE, "receipt": "true", "total": "$42"})
    assert "$42" in receipt.text
    assert receipt.unresolved != ()
    assert {t.raw for t in receipt.unresolved} == {
        "{{this.image}}", "{{this.text}}", "{{this.price}}"}


@needs_corpus
def test_corpus_postmark_templates_are_handlebars_with_item_fields_in_loops() -> None:
    tags = find_tags(read("ActiveCampaign__postmark-templates/templates-inlined/basic/receipt/"
                          "content.html"))
    loop = [t.raw for t in tags if t.in_loop]
    assert loop == ["{{description}}", "{{amount}}"]
    assert "{{name}}" in [t.raw for t in missing_fallbacks(tags)]


@needs_corpus
def test_corpus_templates_without_tags() -> None:
    for name in corpus_files():
        if not manifest()[name]:
            html = read(name)
            assert find_tags(html) == []
            assert render(html, DEFAULT_SAMPLE, year=2026).text == html
