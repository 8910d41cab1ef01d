"""Merge tags in an email's HTML: find them, name their dialect, and merge a preview.

`find_tags` lists every tag with its dialect, its name, its kind and its fallback; `render`
merges a preview with sample data so the visual checks see what a contact sees. Rendering is a
small interpreter over the tags found, never an evaluation of code: variables are looked up in
the sample, conditions test what the sample holds, loops show their body once, and anything it
cannot read is left in place, verbatim, and listed as unresolved (rule T8 reports those).

The dialects and what is read of each:

- **Mailchimp**: `*|FNAME|*`; `*|IF:X|*`, `*|IF:X=v|*` (also `!=`, `>`, `<`, `>=`, `<=`),
  `*|IFNOT:X|*`, `*|ELSEIF:...|*`, `*|ELSE:|*`, `*|END:IF|*`; `*|INTERESTED:...|*` to
  `*|END:INTERESTED|*` (treated as false); the functions `TITLE:`, `UPPER:`, `LOWER:` and
  `HTML:`; `*|DATE:Y|*`; the system tags (`*|UNSUB|*`, `*|UPDATE_PROFILE|*`, `*|LIST:ADDRESS|*`,
  `*|HTML:LIST_ADDRESS_HTML|*`, `*|LIST:COMPANY|*`, `*|ARCHIVE|*`, `*|CURRENT_YEAR|*`,
  `*|MC:SUBJECT|*`, ...). Any other namespaced tag (`*|RSSITEM:TITLE|*`) is a system tag whose
  value the preview does not know. Mailchimp has no inline default: a field's default is an
  audience setting the HTML cannot show, so only an `*|IF:|*` guard counts as a fallback.
- **Handlebars**, which covers Mustache (SendGrid dynamic templates, Postmark, Mailgun):
  `{{x}}`, `{{{x}}}`, `{{&x}}`, `{{! }}` and `{{!-- --}}`, `{{#if}}`, `{{#unless}}`,
  `{{else}}`, `{{else if x}}`, `{{#each}}`, `{{#with}}`, sections `{{#x}}` and inverted
  sections `{{^x}}`, SendGrid's `{{insert x "default=y"}}`, `{{formatDate x "fmt"}}` and the
  comparison blocks `{{#equals}}`, `{{#notEquals}}`, `{{#and}}`, `{{#or}}`, `{{#greaterThan}}`,
  `{{#lessThan}}`; whitespace control `~`. Partials and other helpers are left unresolved.
- **Liquid** (Braze, Customer.io, and Klaviyo's Django-like tags): `{{ x }}`, filters
  (`| default: "y"` gives the fallback; `upcase`, `downcase`, `capitalize`, `strip` are applied,
  other filters are ignored), `{% if %}`, `{% elsif %}`, `{% else %}`, `{% unless %}`,
  `{% case %}`/`{% when %}`, `{% for %}`, `{% raw %}`, `{% comment %}`, whitespace control
  `-`, `{{ "now" | date: "%Y" }}`, `{{${first_name}}}` (Braze), and the unsubscribe tags
  `{% unsubscribe %}`, `{% manage_preferences %}`, `{% web_view %}`. Other statements
  (`assign`, `include`, ...) are left unresolved.
- **HubSpot** HubL: `{{ contact.firstname }}`, `|default("y")`, `{{ x or "y" }}`,
  `{{ personalization_token("contact.firstname", "y") }}`, `{% if %}`/`{% elif %}`,
  `{{ unsubscribe_link }}`, `{{ site_settings.company_name }}`,
  `{{ site_settings.company_street_address_1 }}` and the other company settings.
- **SendGrid legacy**: `[Sender_Name]`, `[Sender_Address]`, `[Sender_City]`, `[Sender_State]`,
  `[Sender_Zip]`, `[Unsubscribe]`, `[Unsubscribe_Preferences]`, `[Weblink]`,
  `[%first_name | default%]`, `<%body%>`, `<%subject%>`, `<%asm_group_unsubscribe_raw_url%>`
  (and the global and preferences ones), and substitution tags `-first_name-` and
  `%first_name%` (the latter also Mailgun's `%recipient.first_name%` and `%unsubscribe_url%`).
  Those last two are read conservatively: outside `<style>` and `<script>`, between non-word
  characters, and only when the name has an `_` or `.` or is a common field name.

`{{`, `{%` and the other openings count only when what follows reads as a tag, so CSS, MSO
conditional comments (`<!--[if mso]>`) and hyphenated words are not tags. A plain `{{ x }}` takes
the dialect of the document: HubSpot when another tag is clearly HubL (`contact.`,
`site_settings.`, `unsubscribe_link`, ...), Liquid when one is clearly Liquid (a `{% %}`
statement, a `| filter: arg`), otherwise Handlebars.

Every scan is linear in the size of the text: each tag is at most a few hundred characters,
searches for the end of a comment resume where the last one stopped, and blocks are matched with
a stack. Blocks nested deeper than `MAX_NESTING` are left as text and reported as unresolved.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Literal, NamedTuple

MAX_NESTING = 32
"""Blocks nested deeper than this are not interpreted: their tags stay in the preview."""

PREVIEW_HOST = "https://preview.invalid"
"""Links the preview fills in (unsubscribe, view in browser) point here: a reserved domain."""


class Dialect(StrEnum):
    MAILCHIMP = "mailchimp"
    HANDLEBARS = "handlebars"  # and Mustache
    LIQUID = "liquid"
    HUBSPOT = "hubspot"
    SENDGRID_LEGACY = "sendgrid_legacy"


TagKind = Literal["variable", "block", "system", "comment"]
"""`variable`: a contact's field; `block`: if/else/each/for/end and other statements; `system`:
filled in by the ESP (unsubscribe, postal address, view in browser, current year); `comment`:
a template comment, which renders as nothing."""


@dataclass(frozen=True, slots=True)
class MergeTag:
    """One tag as written. `start` is its offset in the text and `line` its 1-based line.

    `fallback` is what shows when the field is empty: the tag's own default (`| default: "y"`,
    `{{insert x "default=y"}}`, `[%x | y%]`), or the other branch of a condition that tests the
    same field (`*|IF:FNAME|*Hi *|FNAME|*,*|ELSE:|*Hi,*|END:IF|*` gives `Hi,`; a guard without an
    else gives `""`). `in_loop` marks a tag inside a loop (`{{#each}}`, `{% for %}`) or one that
    names the loop's item (`this.x`): item fields come with the list, not the contact.
    """

    dialect: Dialect
    raw: str
    name: str
    kind: TagKind
    start: int
    line: int
    fallback: str | None = None
    in_loop: bool = False

    @property
    def end(self) -> int:
        return self.start + len(self.raw)

    @property
    def needs_fallback(self) -> bool:
        """A contact's field with nothing to show when it is empty. System tags, blocks, loop
        items and the email address (every contact has one) never need one."""
        return (self.kind == "variable" and self.fallback is None and not self.in_loop
                and _field_of(self.name) != "email")


@dataclass(frozen=True, slots=True)
class Rendered:
    """A merged preview. `unresolved` lists the tags left verbatim in `text` (offsets into the
    source), then any tag-like text the merge itself produced (offsets into `text`).
    `used_sample` names the sample's keys that were used, in the order first used."""

    text: str
    unresolved: tuple[MergeTag, ...]
    used_sample: tuple[str, ...]


def find_tags(text: str) -> list[MergeTag]:
    """Every merge tag in `text`, in order."""
    return _Analysis(text).tags


def dialects(tags: Iterable[MergeTag]) -> tuple[Dialect, ...]:
    """The dialects used, the most used first."""
    counts = Counter(tag.dialect for tag in tags)
    order = list(Dialect)
    return tuple(sorted(counts, key=lambda d: (-counts[d], order.index(d))))


def missing_fallbacks(tags: Iterable[MergeTag]) -> list[MergeTag]:
    return [tag for tag in tags if tag.needs_fallback]


def system_role(tag: MergeTag) -> str | None:
    """What a system tag stands for: `unsubscribe`, `preferences`, `postal_address` (a full
    address or its street line), `postal_address_part` (city, state, zip, country), `company`,
    `sender`, `archive` (view in browser), `current_year`, `forward`, `social`, `subject`,
    `preheader`, `list_description`, `list_name`, `website`, `subscribe`, `rewards`, `body`,
    `date`, ...; None for other tags and for system tags of no known role."""
    if tag.kind != "system":
        return None
    if tag.dialect is Dialect.MAILCHIMP:
        return _mailchimp_role(tag.name)
    if tag.dialect is Dialect.SENDGRID_LEGACY and _norm(tag.name) in _LEGACY_ONLY:
        return _LEGACY_ONLY[_norm(tag.name)]
    return _brace_role(tag.name)


def render(text: str, sample: Mapping[str, str], *, year: int | None = None) -> Rendered:
    """Merge `text` with `sample` for a preview.

    Names are matched case-insensitively, ignoring `_`, `.` and `-`, then by the last part of a
    dotted name (`contact.firstname` finds `firstname`), then through aliases of common fields
    (`FNAME`, `firstname`, `first_name` and `given_name` are one field). Conditions are true when
    the sample has a non-empty value that is not `0`, `false`, `no`, `null` or `none`; `{{#if}}`
    on a missing field takes the else branch. Loops render their body once, because the sample
    holds no lists and the layout should still be seen; so do Mustache sections `{{#x}}` on a
    name the sample lacks (they are most often lists), and inverted sections `{{^x}}` on such a
    name render nothing; a section on a contact's field (`{{#first_name}}`) is a condition.

    System tags get preview values: links on `PREVIEW_HOST`, the postal address
    `1 Sample Street, Springfield, 12345` (or the sample's `postal_address`), the company from
    the sample's `company` (else `Your Company`), the current year from `year` (left unresolved
    without it: nothing here reads a clock). The subject, preheader and `<%body%>` come from the
    sample's `subject`, `preheader` and `body`. Sample values are plain text and are
    HTML-escaped everywhere, `{{{x}}}` included.
    """
    analysis = _Analysis(text)
    merge = _Merge(analysis, sample, year)
    merge.run()
    out = "".join(merge.out)
    unresolved = [analysis.tags[i] for i in merge.unresolved]
    seen = {tag.raw for tag in unresolved}
    for tag in find_tags(out):
        if tag.raw not in seen:
            seen.add(tag.raw)
            unresolved.append(tag)
    return Rendered(out, tuple(unresolved), tuple(merge.sample.used))


DEFAULT_SAMPLE: Mapping[str, str] = MappingProxyType({
    "first_name": "Alex",
    "last_name": "Morgan",
    "full_name": "Alex Morgan",
    "email": "alex.morgan@preview.invalid",
    "company": "Northwind Traders",
    "job_title": "Marketing Manager",
    "phone": "+1 555 0100",
    "address": "1 Sample Street",
    "address_2": "Suite 100",
    "city": "Springfield",
    "state": "IL",
    "zip": "12345",
    "country": "United States",
})
"""A realistic contact for previews. Names follow the alias table, so `*|FNAME|*`,
`{{ contact.firstname }}` and `[%first_name%]` all find `Alex`."""


# --- names -----------------------------------------------------------------------------------

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def _norm(name: str) -> str:
    return _NON_ALNUM.sub("", name.lower())


_ALIASES: dict[str, tuple[str, ...]] = {
    "first_name": ("fname", "givenname", "forename"),
    "last_name": ("lname", "surname", "familyname"),
    "full_name": ("name", "contactname", "customername", "recipientname", "displayname"),
    "email": ("emailaddress", "useremail"),
    "company": ("companyname", "organization", "organisation", "business", "businessname"),
    "job_title": ("jobtitle", "position"),
    "phone": ("phonenumber", "mobile", "mobilephone", "mobilenumber", "telephone"),
    "address": ("address1", "address01", "addressline1", "street", "streetaddress"),
    "address_2": ("address2", "address02", "addressline2"),
    "city": ("town",),
    "state": ("region", "province", "stateprovince"),
    "zip": ("zipcode", "postalcode", "postcode"),
    "country": ("countryname",),
}
_CANONICAL: dict[str, str] = {
    alias: canon for canon, aliases in _ALIASES.items() for alias in (_norm(canon), *aliases)
}


def _parts(name: str) -> list[str]:
    """The name, then its last part when it is a path (`contact.firstname`, `this.text`)."""
    name = name.strip()
    if name.startswith("${") and name.endswith("}"):
        name = name[2:-1]
    while name.startswith("../"):
        name = name[3:]
    last = re.split(r"[./]", name)[-1]
    return [name, last] if last and last != name else [name]


def _field_of(name: str) -> str | None:
    """The common field a name stands for (`first_name`, `email`, ...), or None."""
    for part in _parts(name):
        canon = _CANONICAL.get(_norm(part))
        if canon:
            return canon
    return None


def _same_field(a: str, b: str) -> bool:
    if _norm(a) == _norm(b):
        return True
    fa = _field_of(a)
    return fa is not None and fa == _field_of(b)


def _is_loop_item(name: str) -> bool:
    low = name.lower()
    return (low in ("this", ".") or low.startswith(("this.", "this/", "@", "../", "forloop.")))


# --- system tags -----------------------------------------------------------------------------

def _table(groups: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {_norm(name): role for role, names in groups.items() for name in names}


_MAILCHIMP_ROLES = _table({
    "unsubscribe": ("UNSUB",),
    "preferences": ("UPDATE_PROFILE",),
    "forward": ("FORWARD",),
    "archive": ("ARCHIVE", "ARCHIVE_LINK", "ARCHIVE_LINK_SHORT"),
    "archive_page": ("ARCHIVE_PAGE",),
    "current_year": ("CURRENT_YEAR",),
    "company": ("LIST:COMPANY", "USER:COMPANY"),
    "list_name": ("LIST:NAME",),
    "list_description": ("LIST:DESCRIPTION", "ABOUT_LIST"),
    "postal_address": ("LIST:ADDRESS", "LIST:ADDRESSLINE", "LIST:ADDRESS_VCARD",
                       "HTML:LIST_ADDRESS_HTML", "HTML:LIST_ADDRESS", "USER:ADDRESS"),
    "website": ("LIST:URL", "USER:URL"),
    "subscribe": ("LIST:SUBSCRIBE",),
    "subject": ("MC:SUBJECT",),
    "preheader": ("MC_PREVIEW_TEXT",),
    "rewards": ("REWARDS", "REWARDS_TEXT", "HTML:REWARDS"),
    "social": ("TWITTER:PROFILEURL", "FACEBOOK:PROFILEURL", "TWITTER:FULLPROFILE",
               "TWITTER:TWEET", "FACEBOOK:LIKE"),
    "id": ("UNIQID",),
    "toc": ("MC:TOC",),
    "date": ("MC:DATE",),
    "language": ("MC_LANGUAGE", "MC_LANGUAGE_LABEL"),
})

_SYSTEM_ROLES = _table({
    "unsubscribe": ("unsubscribe", "unsubscribe_url", "unsubscribe_link", "unsubscribe_link_all",
                    "unsubscribe_all", "pm:unsubscribe", "set_user_to_unsubscribed_url",
                    "asm_group_unsubscribe_raw_url", "asm_global_unsubscribe_raw_url",
                    "asm_group_unsubscribe_url", "asm_global_unsubscribe_url",
                    "mailing_list_unsubscribe_url", "tag_unsubscribe_url"),
    "preferences": ("unsubscribe_preferences", "manage_preferences", "manage_preferences_url",
                    "preferences_url", "preference_center_url", "subscription_settings",
                    "asm_preferences_raw_url", "asm_preferences_url"),
    "archive": ("weblink", "web_view", "web_view_url", "webview_url", "view_in_browser",
                "view_in_browser_url", "view_as_page_url", "view_online_url"),
    "sender": ("sender_name",),
    "company": ("site_settings.company_name", "organization.name"),
    "postal_address": ("sender_address", "site_settings.company_street_address_1",
                       "organization.full_address", "organization.address"),
    "postal_address_part": ("sender_address2", "sender_city", "sender_state", "sender_zip",
                            "sender_country", "site_settings.company_street_address_2",
                            "site_settings.company_city", "site_settings.company_state",
                            "site_settings.company_zip", "site_settings.company_country"),
    "current_year": ("current_year", "year"),
    "date": ("now",),
})
# A dotted name's last part counts for these roles only: `{{ links.unsubscribe_url }}` is an
# unsubscribe link, but `{{ order.year }}` is not the current year.
_LAST_PART_ROLES = ("unsubscribe", "preferences", "archive")
_LEGACY_ONLY = {"body": "body", "subject": "subject"}  # <%body%>, <%subject%>


def _mailchimp_role(name: str) -> str | None:
    upper = name.upper()
    if upper.startswith("DATE:"):
        return "current_year" if upper[5:].strip() == "Y" else "date"
    return _MAILCHIMP_ROLES.get(_norm(name))


def _brace_role(name: str) -> str | None:
    parts = _parts(name)
    role = _SYSTEM_ROLES.get(_norm(parts[0]))
    if role is None and len(parts) > 1:
        last = _SYSTEM_ROLES.get(_norm(parts[1]))
        role = last if last in _LAST_PART_ROLES else None
    return role


_PREVIEW_VALUES = {
    "unsubscribe": f"{PREVIEW_HOST}/unsubscribe",
    "preferences": f"{PREVIEW_HOST}/preferences",
    "archive": f"{PREVIEW_HOST}/view-in-browser",
    "forward": f"{PREVIEW_HOST}/forward",
    "social": f"{PREVIEW_HOST}/social",
    "website": f"{PREVIEW_HOST}/",
    "subscribe": f"{PREVIEW_HOST}/subscribe",
    "postal_address": "1 Sample Street, Springfield, 12345",
    "list_description": "You are receiving this email because you signed up on our website.",
    "rewards": "",
    "archive_page": "",  # an email is never the archive page
    "id": "preview",
    "toc": "",
    "language": "en",
}
_PART_VALUES = {
    _norm(name): value for value, names in {
        "1 Sample Street": ("sender_address", "site_settings.company_street_address_1"),
        "": ("sender_address2", "site_settings.company_street_address_2"),
        "Springfield": ("sender_city", "site_settings.company_city"),
        "IL": ("sender_state", "site_settings.company_state"),
        "12345": ("sender_zip", "site_settings.company_zip"),
        "United States": ("sender_country", "site_settings.company_country"),
    }.items() for name in names
}
_LINK_LABELS = {"unsubscribe": "Unsubscribe", "preferences": "Manage preferences",
                "archive": "View in browser"}


# --- tokens ----------------------------------------------------------------------------------

class _Arg(NamedTuple):
    """An operand: a path to look up, or a literal (`value` None is nil/false)."""

    path: str | None
    value: str | None


class _Term(NamedTuple):
    negate: bool
    left: _Arg
    op: str  # "" (truthy), "==", "!=", ">", "<", ">=", "<=", "contains"
    right: _Arg | None


class _Cond(NamedTuple):
    groups: tuple[tuple[_Term, ...], ...]  # or of ands
    negate: bool

    def presence(self) -> tuple[str, bool] | None:
        """(name, positive) when the condition only tests that one field is there."""
        if len(self.groups) != 1 or len(self.groups[0]) != 1:
            return None
        term = self.groups[0][0]
        if term.op or term.left.path is None:
            return None
        return term.left.path, term.negate == self.negate


Family = Literal["mc", "brace", "st", "legacy"]
Op = Literal["var", "system", "open", "mid", "close", "comment", "raw", "other"]


@dataclass(slots=True)
class _Tok:
    start: int
    end: int
    family: Family
    op: Op
    name: str
    forced: Dialect | None = None
    dialect: Dialect = Dialect.HANDLEBARS
    key: str = ""  # blocks: what closes them, e.g. "hb:if", "st:for", "mc:if"
    block: str = ""  # open: if each for with section inverted interested case helper;
    #                  mid: else elseif when
    cond: _Cond | None = None
    args: tuple[_Arg, ...] = ()
    fallback: str | None = None  # the tag's own default
    filters: tuple[tuple[str, tuple[_Arg, ...]], ...] = ()
    helper: str = ""
    transform: str = ""
    literal: str | None = None
    raw_out: bool = False
    inner: tuple[int, int] = (0, 0)  # raw regions: the text kept as is


_KIND: dict[str, TagKind] = {"var": "variable", "system": "system", "comment": "comment"}

_EXPR_TOKEN = re.compile(r"""\s*(?:
    (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<op>==|!=|>=|<=|\|\||&&|[<>|:,()=!])
  | (?P<word>[^\s"'<>|:,()=!]+)
)""", re.X)
_PATH = re.compile(r"(?:\.\./)*(?:\.|@?[A-Za-z_$][\w$-]*|\$\{[A-Za-z_][\w.]*\})"
                   r"(?:[./](?:[A-Za-z_$@][\w$-]*|\d+)|\[[^\]]{1,60}\])*")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_Token = tuple[str, str]


def _tokens(text: str) -> list[_Token] | None:
    out: list[_Token] = []
    pos = 0
    while True:
        match = _EXPR_TOKEN.match(text, pos)
        if match is None:
            return out if not text[pos:].strip() else None
        kind = match.lastgroup or "word"
        out.append((kind, match.group(kind)))
        pos = match.end()


def _unquote(value: str) -> str:
    return value[1:-1].replace('\\"', '"').replace("\\'", "'")


def _operand(token: _Token) -> _Arg | None:
    kind, value = token
    if kind == "str":
        return _Arg(None, _unquote(value))
    if kind != "word":
        return None
    low = value.lower()
    if low == "true":
        return _Arg(None, "true")
    if low in ("false", "nil", "null", "none"):
        return _Arg(None, None)
    if low in ("blank", "empty"):
        return _Arg(None, "")
    if _NUMBER.fullmatch(value):
        return _Arg(None, value)
    if _PATH.fullmatch(value):
        return _Arg(value, None)
    return None


_COMPARE = {"==": "==", "=": "==", "!=": "!=", ">": ">", "<": "<", ">=": ">=", "<=": "<="}


def _condition(tokens: list[_Token], negate: bool = False) -> _Cond | None:
    """`a`, `not a`, `a == "x"`, `a contains "x"`, joined by and/or (Liquid, HubL)."""
    groups: list[list[_Term]] = [[]]
    i, n = 0, len(tokens)
    if n == 0:
        return None
    while True:
        neg = False
        if i < n and tokens[i] in (("word", "not"), ("op", "!")):
            neg, i = True, i + 1
        if i >= n:
            return None
        left = _operand(tokens[i])
        if left is None:
            return None
        i += 1
        op, right = "", None
        if i < n and ((tokens[i][0] == "op" and tokens[i][1] in _COMPARE)
                      or tokens[i] == ("word", "contains")):
            op = _COMPARE.get(tokens[i][1], "contains")
            if i + 1 >= n:
                return None
            right = _operand(tokens[i + 1])
            if right is None:
                return None
            i += 2
        groups[-1].append(_Term(neg, left, op, right))
        if i == n:
            break
        if tokens[i] in (("word", "and"), ("op", "&&")):
            i += 1
        elif tokens[i] in (("word", "or"), ("op", "||")):
            groups.append([])
            i += 1
        else:
            return None
    return _Cond(tuple(tuple(g) for g in groups), negate)


def _single(name: str, negate: bool = False) -> _Cond:
    return _Cond(((_Term(False, _Arg(name, None), "", None),),), negate)


# --- Mailchimp -------------------------------------------------------------------------------

_MC_BLOCK = re.compile(r"(IF|ELSEIF|IFNOT|ELSE|END|INTERESTED)(?::(.*))?", re.I | re.S)
_MC_COND = re.compile(r"\s*([A-Za-z]\w*)\s*(?:(!=|>=|<=|=|>|<)\s*(.*?))?\s*", re.S)
_MC_NAME = re.compile(r"[A-Za-z][\w]*(?::[^|*]*)?", re.S)


def _mailchimp(start: int, end: int, body: str) -> _Tok | None:
    content = body.strip()
    block = _MC_BLOCK.fullmatch(content)
    if block:
        word, rest = block.group(1).upper(), (block.group(2) or "").strip()
        if word in ("IF", "ELSEIF", "IFNOT"):
            m = _MC_COND.fullmatch(rest)
            cond = None
            name = rest
            if m:
                name = m.group(1)
                if m.group(2):
                    cond = _Cond(((_Term(False, _Arg(name, None), _COMPARE[m.group(2)],
                                         _Arg(None, m.group(3))),),), False)
                else:
                    cond = _single(name, negate=word == "IFNOT")
            if word == "ELSEIF":
                return _Tok(start, end, "mc", "mid", name, block="elseif", cond=cond)
            return _Tok(start, end, "mc", "open", name, key="mc:if", block="if", cond=cond)
        if word == "ELSE" and not rest:
            return _Tok(start, end, "mc", "mid", "ELSE", block="else")
        if word == "END" and rest:
            return _Tok(start, end, "mc", "close", content, key="mc:" + _norm(rest))
        if word == "INTERESTED" and rest:
            return _Tok(start, end, "mc", "open", rest, key="mc:interested", block="interested")
    if not _MC_NAME.fullmatch(content):
        return None
    role = _mailchimp_role(content)
    if role is not None:
        return _Tok(start, end, "mc", "system", content)
    func = re.fullmatch(r"(TITLE|UPPER|LOWER|HTML):([A-Za-z]\w*)", content, re.I)
    if func:
        transform = func.group(1).upper()
        return _Tok(start, end, "mc", "var", func.group(2),
                    transform="" if transform == "HTML" else transform,
                    raw_out=transform == "HTML")
    if ":" in content:  # *|RSSITEM:TITLE|*, *|FEEDBLOCK:...|*: Mailchimp fills these in
        return _Tok(start, end, "mc", "system", content)
    return _Tok(start, end, "mc", "var", content)


# --- Handlebars, Liquid and HubL output tags --------------------------------------------------

_HUBL_NAME = re.compile(r"^(?:contact|site_settings|owner|subscription_settings)\.|"
                        r"^(?:unsubscribe_link(?:_all)?|view_as_page_url|subscription_settings)$",
                        re.I)
_HB_COMPARE = {"equals": "==", "notequals": "!=", "greaterthan": ">", "lessthan": "<"}
_HB_LOGIC = ("and", "or")
_HB_KNOWN_HELPERS = ("insert", "formatdate")
_DATE_FILTERS = ("date", "datetimeformat", "format_datetime", "format_date", "strftime")
_YEAR_FORMATS = ("%Y", "yyyy", "YYYY")


def _brace(start: int, end: int, body: str, triple: bool) -> _Tok | None:
    """A `{{ }}` or `{{{ }}}` tag, or None when what is inside does not read as one."""
    s = body.strip()
    forced: Dialect | None = Dialect.HANDLEBARS if triple else None
    if s[:1] == "~" or s[-1:] == "~":
        s, forced = s.strip("~").strip(), Dialect.HANDLEBARS
    if (s[:1] == "-" and not _NUMBER.match(s)) or s[-1:] == "-":
        s, forced = s.strip("-").strip(), Dialect.LIQUID
    if not s:
        return None
    sigil, rest = s[0], s[1:].strip()
    tok: _Tok | None
    if sigil == "!":
        return _Tok(start, end, "brace", "comment", "", forced=Dialect.HANDLEBARS)
    if sigil == "#":
        tok = _hb_open(start, end, rest)
    elif sigil == "^":
        if not rest:
            tok = _Tok(start, end, "brace", "mid", "else", block="else")
        elif _PATH.fullmatch(rest):
            tok = _Tok(start, end, "brace", "open", rest, key="hb:" + rest, block="inverted")
        else:
            tok = None
    elif sigil == "/":
        tok = (_Tok(start, end, "brace", "close", s, key="hb:" + rest)
               if _PATH.fullmatch(rest) else None)
    elif sigil == ">":
        tok = _Tok(start, end, "brace", "other", rest) if rest else None
    elif sigil == "&":
        tok = _Tok(start, end, "brace", "var", rest, raw_out=True) if _PATH.fullmatch(rest) \
            else None
    elif s == "else" or s.startswith(("else ", "else\t")):
        tok = _hb_else(start, end, s[4:].strip())
    else:
        return _output(start, end, s, forced, triple)
    if tok is not None:
        tok.forced = Dialect.HANDLEBARS
    return tok


def _hb_open(start: int, end: int, rest: str) -> _Tok | None:
    tokens = _tokens(rest)
    if not tokens or tokens[0][0] != "word":
        return None
    head = tokens[0][1]
    low = head.lower()
    args = [_operand(t) for t in tokens[1:]]
    key = "hb:" + head
    if low in ("if", "unless"):
        cond = None
        name = tokens[1][1] if len(tokens) > 1 else ""
        if len(tokens) == 2 and args[0] is not None and args[0].path is not None:
            cond = _single(args[0].path, negate=low == "unless")
        return _Tok(start, end, "brace", "open", name, key=key, block="if", cond=cond)
    if low in ("each", "with"):
        if len(tokens) < 2 or args[0] is None or args[0].path is None:
            return None
        return _Tok(start, end, "brace", "open", args[0].path, key=key, block=low)
    if low in _HB_COMPARE or low in _HB_LOGIC:
        operands = [a for a in args if a is not None]
        cond = None
        if len(operands) == len(args) == 2:
            if low in _HB_COMPARE:
                cond = _Cond(((_Term(False, operands[0], _HB_COMPARE[low], operands[1]),),),
                             False)
            elif low == "and":
                cond = _Cond((tuple(_Term(False, a, "", None) for a in operands),), False)
            else:
                cond = _Cond(tuple((_Term(False, a, "", None),) for a in operands), False)
        name = operands[0].path or "" if operands else ""
        return _Tok(start, end, "brace", "open", name, key=key, block="if", cond=cond)
    if not _PATH.fullmatch(head):
        return None
    if len(tokens) == 1:
        return _Tok(start, end, "brace", "open", head, key=key, block="section")
    return _Tok(start, end, "brace", "open", head, key=key, block="helper")


def _hb_else(start: int, end: int, rest: str) -> _Tok | None:
    if not rest:
        return _Tok(start, end, "brace", "mid", "else", block="else")
    tokens = _tokens(rest)
    if not tokens or tokens[0] not in (("word", "if"), ("word", "unless")):
        return None
    cond = None
    name = tokens[1][1] if len(tokens) > 1 else ""
    arg = _operand(tokens[1]) if len(tokens) == 2 else None
    if arg is not None and arg.path is not None:
        cond = _single(arg.path, negate=tokens[0][1] == "unless")
    return _Tok(start, end, "brace", "mid", name, block="elseif", cond=cond)


def _call_args(tokens: list[_Token], i: int) -> tuple[list[_Arg], int] | None:
    """Arguments in parentheses from tokens[i] == "(": (operands, index after ")")."""
    args: list[_Arg] = []
    i += 1
    while i < len(tokens) and tokens[i] != ("op", ")"):
        if tokens[i] == ("op", ","):
            i += 1
            continue
        arg = _operand(tokens[i])
        if arg is None:
            return None
        args.append(arg)
        i += 1
    if i >= len(tokens):
        return None
    return args, i + 1


def _arg_text(arg: _Arg) -> str:
    return arg.path if arg.path is not None else (arg.value or "")


def _output(start: int, end: int, s: str, forced: Dialect | None, triple: bool) -> _Tok | None:
    """An output tag: `x`, `x | filter: a`, `x|filter("a")`, `x or "a"`, `helper x "a"`,
    `func("a", "b")`."""
    if re.fullmatch(r"pm\s*:\s*unsubscribe", s, re.I):  # Postmark's {{{ pm:unsubscribe }}}
        return _Tok(start, end, "brace", "system", "pm:unsubscribe", forced=Dialect.HANDLEBARS,
                    raw_out=triple)
    tokens = _tokens(s)
    if not tokens:
        return None
    n = len(tokens)
    name, literal, helper, fallback = "", None, "", None
    filters: list[tuple[str, tuple[_Arg, ...]]] = []
    hubl = False
    if tokens[0][0] == "word" and n > 1 and tokens[1] == ("op", "("):
        parsed = _call_args(tokens, 1)
        if parsed is None or not _PATH.fullmatch(tokens[0][1]):
            return None
        call, i = parsed
        helper = tokens[0][1]
        name = helper
        if helper.lower() == "personalization_token" and call and call[0].path is None:
            name, hubl = call[0].value or "", True
            if len(call) > 1:
                fallback = _arg_text(call[1])
    else:
        first = _operand(tokens[0])
        if first is None:
            return None
        if first.path is None:
            literal = first.value or ""
            name = literal
        else:
            name = first.path
        i = 1
        args: list[_Arg] = []
        hashes: dict[str, _Arg] = {}
        while i < n and tokens[i][0] in ("word", "str") and tokens[i] != ("word", "or"):
            if first.path is None:
                return None
            if i + 2 < n and tokens[i + 1] == ("op", "="):
                value = _operand(tokens[i + 2])
                if value is None or tokens[i][0] != "word":
                    return None
                hashes[tokens[i][1].lower()] = value
                i += 3
                continue
            arg = _operand(tokens[i])
            if arg is None:
                return None
            args.append(arg)
            i += 1
        if args or hashes:
            helper = name
            paths = [a.path for a in args if a.path is not None]
            name = paths[0] if paths else helper
            forced = Dialect.HANDLEBARS
            if helper.lower() == "insert":
                defaults = [a for a in args[1:] if a.path is None]
                if "default" in hashes:
                    fallback = _arg_text(hashes["default"])
                elif defaults:
                    fallback = (defaults[0].value or "").removeprefix("default=")
    while i < n:
        if tokens[i] == ("op", "|"):
            if i + 1 >= n or tokens[i + 1][0] != "word":
                return None
            fname = tokens[i + 1][1].lower()
            i += 2
            fargs: list[_Arg] = []
            if i < n and tokens[i] == ("op", ":"):
                forced = forced or Dialect.LIQUID
                i += 1
                while i < n and tokens[i] != ("op", "|"):
                    if tokens[i] != ("op", ","):
                        arg = _operand(tokens[i])
                        if arg is None:
                            return None
                        fargs.append(arg)
                    i += 1
            elif i < n and tokens[i] == ("op", "("):
                parsed = _call_args(tokens, i)
                if parsed is None:
                    return None
                fargs, i = parsed
                hubl = True
            filters.append((fname, tuple(fargs)))
            if fname in ("default", "d") and fargs and fallback is None:
                fallback = _arg_text(fargs[0])
        elif tokens[i] in (("word", "or"), ("op", "||")) and i + 1 < n:
            arg = _operand(tokens[i + 1])
            if arg is None:
                return None
            if fallback is None:
                fallback = _arg_text(arg)
            i += 2
        else:
            return None
    if hubl or _HUBL_NAME.search(name):
        forced = Dialect.HUBSPOT
    elif name.startswith("${"):
        forced = forced or Dialect.LIQUID
    elif _is_loop_item(name) and not name.lower().startswith("forloop."):
        forced = forced or Dialect.HANDLEBARS
    for fname, date_args in filters:
        if fname in _DATE_FILTERS and date_args and name.lower() in ("now", "today", "local_dt"):
            year = any((a.value or "").strip() in _YEAR_FORMATS for a in date_args)
            return _Tok(start, end, "brace", "system", "current_year" if year else "now",
                        forced=forced)
    if literal is None and not helper and _brace_role(name) is not None:
        return _Tok(start, end, "brace", "system", name, forced=forced, raw_out=triple)
    return _Tok(start, end, "brace", "var", name, forced=forced, helper=helper,
                fallback=fallback, filters=tuple(filters), literal=literal, raw_out=triple)


# --- Liquid and HubL statements --------------------------------------------------------------

_ST_HEAD = re.compile(r"([A-Za-z_]\w*)")
_HUBL_HEADS = ("set", "elif", "module", "dnd_area", "dnd_section", "dnd_column", "dnd_row",
               "dnd_module", "widget_block", "widget_attribute", "require_css", "require_js",
               "email_each", "macro", "import", "from", "do", "endset")
_HUBL_MENTION = re.compile(r"\b(?:contact|site_settings|owner)\.|\bunsubscribe_link\b", re.I)
_ST_SYSTEM = ("unsubscribe", "unsubscribe_url", "unsubscribe_link", "unsubscribe_link_all",
              "manage_preferences", "manage_preferences_url", "web_view", "web_view_url",
              "view_in_browser", "view_in_browser_url")
_ST_CLOSE = {"endif": "st:if", "endunless": "st:unless", "endfor": "st:for",
             "endcase": "st:case"}


def _statement(start: int, end: int, body: str) -> _Tok | None:
    s = body.strip()
    if s.startswith("-"):
        s = s[1:]
    if s.endswith("-"):
        s = s[:-1]
    s = s.strip()
    head_match = _ST_HEAD.match(s)
    if head_match is None:
        return None
    word = head_match.group(1)
    head, rest = word.lower(), s[head_match.end():].strip()
    forced = Dialect.HUBSPOT if head in _HUBL_HEADS or _HUBL_MENTION.search(s) else None
    tokens = _tokens(rest)
    tok: _Tok
    if head in ("if", "unless"):
        cond = _condition(tokens, negate=head == "unless") if tokens is not None else None
        name = cond.groups[0][0].left.path or "" if cond else rest
        tok = _Tok(start, end, "st", "open", name, key="st:" + head, block="if", cond=cond)
    elif head in ("elsif", "elif"):
        cond = _condition(tokens) if tokens is not None else None
        name = cond.groups[0][0].left.path or "" if cond else rest
        tok = _Tok(start, end, "st", "mid", name, block="elseif", cond=cond)
    elif head == "else" and not rest:
        tok = _Tok(start, end, "st", "mid", "else", block="else")
    elif head == "for":
        items = ""
        if tokens and len(tokens) >= 3 and tokens[1] == ("word", "in"):
            arg = _operand(tokens[2])
            items = arg.path or "" if arg else ""
        if not items:
            return _Tok(start, end, "st", "open", rest, key="st:for", block="helper",
                        forced=forced)
        tok = _Tok(start, end, "st", "open", items, key="st:for", block="for")
    elif head == "case":
        arg = _operand(tokens[0]) if tokens and len(tokens) == 1 else None
        tok = _Tok(start, end, "st", "open", arg.path or "" if arg else rest, key="st:case",
                   block="case", args=(arg,) if arg else ())
    elif head == "when":
        values = [_operand(t) for t in tokens or [] if t not in (("op", ","), ("word", "or"))]
        good = tuple(v for v in values if v is not None)
        tok = _Tok(start, end, "st", "mid", "when", block="when",
                   args=good if len(good) == len(values) and good else ())
    elif head in _ST_CLOSE:
        tok = _Tok(start, end, "st", "close", head, key=_ST_CLOSE[head])
    elif head in _ST_SYSTEM:
        label = [a for a in (_operand(t) for t in tokens or []) if a and a.path is None]
        tok = _Tok(start, end, "st", "system", word, args=tuple(label[:1]))
    else:
        tok = _Tok(start, end, "st", "other", s)
    tok.forced = forced
    return tok


# --- SendGrid legacy -------------------------------------------------------------------------

def _legacy(start: int, end: int, name: str, fallback: str | None = None) -> _Tok:
    key = _norm(name)
    if key in _LEGACY_ONLY or _SYSTEM_ROLES.get(key) is not None:
        return _Tok(start, end, "legacy", "system", name, forced=Dialect.SENDGRID_LEGACY)
    return _Tok(start, end, "legacy", "var", name, forced=Dialect.SENDGRID_LEGACY,
                fallback=fallback)


def _plausible_substitution(name: str) -> bool:
    """-x- and %x% are everyday punctuation too: only names that look like fields count."""
    key = _norm(name)
    return "_" in name or "." in name or key in _CANONICAL or key in _SYSTEM_ROLES


# --- scanning --------------------------------------------------------------------------------

_MC = re.compile(r"\*\|([^|*\r\n]{1,200})\|\*")
_HB3 = re.compile(r"\{\{\{([^{}]{0,500})\}\}\}")
_HB2 = re.compile(r"\{\{([^{}]{0,500})\}\}")
_BRAZE = re.compile(r"\{\{(-?\s{0,5}\$\{[A-Za-z_][\w.]{0,100}\}[^{}]{0,400})\}\}")  # {{${x}}}
_HB_COMMENT = re.compile(r"\{\{~?!--")
_HB_COMMENT_END = re.compile(r"--~?\}\}")
_ST = re.compile(r"\{%((?:[^%{}]|%(?!\})){0,500})%\}")
_ST_REGION = {"raw": re.compile(r"\{%-?\s*endraw\s*-?%\}"),
              "comment": re.compile(r"\{%-?\s*endcomment\s*-?%\}")}
_LT = re.compile(r"<%\s{0,5}([A-Za-z_][\w.]{0,100})\s{0,5}%>")
_BP = re.compile(r"\[%\s{0,5}([A-Za-z_][\w .-]{0,100}?)\s{0,5}(?:\|([^%\]\r\n]{0,200}))?%\]")
_BR = re.compile(r"\[(Sender_[A-Za-z]{1,30}|Unsubscribe(?:_Preferences)?|Weblink)\]", re.I)
_DASH = re.compile(r"(?<![\w-])-([a-z][a-z0-9_]{1,40})-(?![\w-])")
_PCT = re.compile(r"(?<![\w%])%([a-z][a-z0-9_.]{2,60})%(?![\w%])")
_CODE_OPEN = re.compile(r"<(style|script)\b", re.I)
_CODE_CLOSE = {"style": re.compile(r"</style\s*>", re.I),
               "script": re.compile(r"</script\s*>", re.I)}


class _Next:
    """The first match of a pattern at or after a position, for positions that only grow: a
    search is reused while its match is still ahead, so a whole scan stays linear."""

    __slots__ = ("_at", "_found", "_pattern", "_text")

    def __init__(self, pattern: re.Pattern[str], text: str) -> None:
        self._pattern, self._text = pattern, text
        self._at = -1
        self._found: re.Match[str] | None = None

    def after(self, pos: int) -> re.Match[str] | None:
        if self._at < 0 or pos < self._at or (
                self._found is not None and self._found.start() < pos):
            self._at = pos
            self._found = self._pattern.search(self._text, pos)
        return self._found


def _code_ranges(text: str) -> list[tuple[int, int]]:
    """Where <style> and <script> elements are, so -x- and %x% are not looked for there."""
    ranges: list[tuple[int, int]] = []
    closers = {kind: _Next(p, text) for kind, p in _CODE_CLOSE.items()}
    for match in _CODE_OPEN.finditer(text):
        if ranges and match.start() < ranges[-1][1]:
            continue
        close = closers[match.group(1).lower()].after(match.end())
        ranges.append((match.start(), close.end() if close else len(text)))
    return ranges


def _inside(ranges: list[tuple[int, int]], pos: int, cursor: list[int]) -> bool:
    i = cursor[0]
    while i < len(ranges) and ranges[i][1] <= pos:
        i += 1
    cursor[0] = i
    return i < len(ranges) and ranges[i][0] <= pos


def _candidates(text: str) -> list[_Tok]:
    found: list[_Tok] = []
    add = found.append
    for m in _MC.finditer(text):
        tok = _mailchimp(m.start(), m.end(), m.group(1))
        if tok:
            add(tok)
    for pattern, triple in ((_HB3, True), (_HB2, False), (_BRAZE, False)):
        for m in pattern.finditer(text):
            tok = _brace(m.start(), m.end(), m.group(1), triple)
            if tok:
                add(tok)
    comment_end = _Next(_HB_COMMENT_END, text)
    for m in _HB_COMMENT.finditer(text):
        close = comment_end.after(m.end())
        if close:
            add(_Tok(m.start(), close.end(), "brace", "comment", "", forced=Dialect.HANDLEBARS))
    region_ends = {kind: _Next(p, text) for kind, p in _ST_REGION.items()}
    for m in _ST.finditer(text):
        tok = _statement(m.start(), m.end(), m.group(1))
        if tok is None:
            continue
        if tok.op == "other" and tok.name.lower() in _ST_REGION:
            close = region_ends[tok.name.lower()].after(m.end())
            if close:
                op: Op = "raw" if tok.name.lower() == "raw" else "comment"
                tok = _Tok(m.start(), close.end(), "st", op, tok.name.lower(),
                           inner=(m.end(), close.start()))
        add(tok)
    for m in _LT.finditer(text):
        add(_legacy(m.start(), m.end(), m.group(1)))
    for m in _BP.finditer(text):
        fallback = m.group(2).strip() if m.group(2) is not None else None
        add(_legacy(m.start(), m.end(), m.group(1).strip(), fallback))
    for m in _BR.finditer(text):
        add(_legacy(m.start(), m.end(), m.group(1)))
    code = _code_ranges(text)
    for pattern in (_DASH, _PCT):
        cursor = [0]
        for m in pattern.finditer(text):
            if _plausible_substitution(m.group(1)) and not _inside(code, m.start(), cursor):
                add(_legacy(m.start(), m.end(), m.group(1)))
    return found


def _scan(text: str) -> list[_Tok]:
    """The tags of `text` in order, none overlapping (the earliest and then longest wins)."""
    found = _candidates(text)
    found.sort(key=lambda t: (t.start, t.start - t.end))
    kept: list[_Tok] = []
    last = 0
    for tok in found:
        if tok.start >= last:
            kept.append(tok)
            last = tok.end
    hubspot = any(t.forced is Dialect.HUBSPOT for t in kept)
    liquid = any(t.forced is Dialect.LIQUID or (t.family == "st" and t.forced is None)
                 for t in kept)
    document = (Dialect.HUBSPOT if hubspot else Dialect.LIQUID if liquid
                else Dialect.HANDLEBARS)
    statements = Dialect.HUBSPOT if hubspot else Dialect.LIQUID
    for tok in kept:
        if tok.family == "mc":
            tok.dialect = Dialect.MAILCHIMP
        elif tok.family == "legacy":
            tok.dialect = Dialect.SENDGRID_LEGACY
        elif tok.family == "st":
            tok.dialect = tok.forced or statements
        else:
            tok.dialect = tok.forced or document
    return kept


# --- blocks ----------------------------------------------------------------------------------

@dataclass(slots=True)
class _Block:
    open: int
    close: int = -1
    mids: list[int] = field(default_factory=list)
    active: bool = True


def _fits(opener: _Tok, mid: _Tok) -> bool:
    """Can `mid` (else, else if, when) belong to the block `opener` opened?"""
    if opener.family != mid.family:
        return False
    if mid.block == "when":
        return opener.block == "case"
    if opener.block == "case":
        return mid.block == "else"
    if mid.block == "elseif":
        return opener.block in ("if", "interested") or opener.family == "brace"
    return True


def _pair(toks: list[_Tok]) -> dict[int, _Block]:
    """Matched blocks by the index of their opening tag. A closing tag closes the nearest open
    block it can close; blocks left open inside it, and stray closings, stay unmatched."""
    blocks: dict[int, _Block] = {}
    stack: list[_Block] = []
    by_key: dict[str, list[int]] = {}
    for i, tok in enumerate(toks):
        if tok.op == "open":
            stack.append(_Block(i))
            by_key.setdefault(tok.key, []).append(len(stack) - 1)
        elif tok.op == "mid":
            if stack and _fits(toks[stack[-1].open], tok):
                stack[-1].mids.append(i)
        elif tok.op == "close":
            positions = by_key.get(tok.key)
            if not positions:
                continue
            depth = positions[-1]
            while len(stack) > depth + 1:
                by_key[toks[stack.pop().open].key].pop()
            block = stack.pop()
            positions.pop()
            block.close = i
            blocks[block.open] = block
    closes: list[int] = []
    for i in sorted(blocks):
        block = blocks[i]
        while closes and closes[-1] < i:
            closes.pop()
        block.active = len(closes) < MAX_NESTING and _readable(toks, block)
        closes.append(block.close)
    return blocks


def _readable(toks: list[_Tok], block: _Block) -> bool:
    opener = toks[block.open]
    if opener.block == "helper" or (opener.block == "if" and opener.cond is None):
        return False
    if opener.block == "case" and not opener.args:
        return False
    return all(not (toks[m].block == "elseif" and toks[m].cond is None)
               and not (toks[m].block == "when" and not toks[m].args) for m in block.mids)


_LOOPS = ("each", "for")


def _else_branch(toks: list[_Tok], block: _Block) -> int | None:
    """The branch number of the plain else, if there is one."""
    for k, mid in enumerate(block.mids):
        if toks[mid].block == "else":
            return k + 1
    return None


def _branch_text(text: str, toks: list[_Tok], block: _Block, k: int | None) -> str:
    if k is None:
        return ""
    bounds = [block.open, *block.mids, block.close]
    snippet = " ".join(text[toks[bounds[k]].end:toks[bounds[k + 1]].start].split())
    return snippet if len(snippet) <= 120 else snippet[:119] + "…"


class _Analysis:
    """The tags of a text, their blocks, and each tag's fallback."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _scan(text)
        self.blocks = _pair(self.toks)
        self.tags = self._tags()

    def _tags(self) -> list[MergeTag]:
        text, toks, blocks = self.text, self.toks, self.blocks
        owner = {m: b for b in blocks.values() for m in b.mids}
        frames: list[list[int]] = []  # [opening tag index, branch number]
        tags: list[MergeTag] = []
        line, pos = 1, 0
        for i, tok in enumerate(toks):
            line += text.count("\n", pos, tok.start)
            pos = tok.start
            if frames and owner.get(i) is blocks[frames[-1][0]]:
                frames[-1][1] += 1
            if frames and blocks[frames[-1][0]].close == i:
                frames.pop()
            fallback, in_loop = tok.fallback, False
            if tok.op == "var":
                in_loop = _is_loop_item(tok.name)
                for open_i, k in reversed(frames[-MAX_NESTING:]):
                    opener = toks[open_i]
                    if opener.block in _LOOPS or (opener.block == "section"
                                                  and _field_of(opener.name) is None):
                        in_loop = True
                    if fallback is None:
                        fallback = self._guard(blocks[open_i], k, tok.name)
            tags.append(MergeTag(tok.dialect, text[tok.start:tok.end], tok.name,
                                 _KIND.get(tok.op, "block"), tok.start, line, fallback,
                                 in_loop))
            if i in blocks:
                frames.append([i, 0])
        return tags

    def _guard(self, block: _Block, k: int, name: str) -> str | None:
        """The fallback a block gives `name` when branch k shows it only if it is set."""
        toks = self.toks
        opener = toks[block.open]
        if opener.block == "section" and k == 0 and _same_field(opener.name, name):
            return _branch_text(self.text, toks, block, _else_branch(toks, block))
        if opener.block != "if":
            return None
        cond = opener.cond if k == 0 else toks[block.mids[k - 1]].cond
        test = cond.presence() if cond else None
        if test and test[1] and _same_field(test[0], name):
            return _branch_text(self.text, toks, block, _else_branch(toks, block))
        first = opener.cond.presence() if opener.cond else None
        if (k > 0 and toks[block.mids[k - 1]].block == "else" and first and not first[1]
                and _same_field(first[0], name)):
            return _branch_text(self.text, toks, block, 0)
        return None


# --- rendering -------------------------------------------------------------------------------

_FALSY = ("", "0", "false", "no", "null", "none", "nil")


def _truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() not in _FALSY


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _compare(op: str, left: str | None, right: str | None) -> bool:
    if op in ("==", "!="):
        same = (left or "").strip().casefold() == (right or "").strip().casefold()
        return same if op == "==" else not same
    if op == "contains":
        return left is not None and right is not None and right.casefold() in left.casefold()
    a, b = _number(left), _number(right)
    if a is None or b is None:
        return False
    return {">": a > b, "<": a < b, ">=": a >= b, "<=": a <= b}[op]


def _filtered(value: str, filters: tuple[tuple[str, tuple[_Arg, ...]], ...]) -> str:
    for name, _ in filters:
        if name in ("upcase", "upper"):
            value = value.upper()
        elif name in ("downcase", "lower"):
            value = value.lower()
        elif name == "capitalize":
            value = value[:1].upper() + value[1:].lower()
        elif name == "title":
            value = value.title()
        elif name in ("strip", "trim"):
            value = value.strip()
    return value


class _Sample:
    """Sample values by normalised name and by common field; remembers the keys used."""

    def __init__(self, sample: Mapping[str, str]) -> None:
        self.exact: dict[str, tuple[str, str]] = {}
        self.fields: dict[str, tuple[str, str]] = {}
        for key, value in sample.items():
            norm = _norm(key)
            self.exact.setdefault(norm, (key, value))
            canon = _CANONICAL.get(norm)
            if canon:
                self.fields.setdefault(canon, (key, value))
        self.used: dict[str, None] = {}

    def _hit(self, hit: tuple[str, str] | None) -> str | None:
        if hit is None:
            return None
        self.used[hit[0]] = None
        return hit[1]

    def exact_value(self, name: str) -> str | None:
        return self._hit(self.exact.get(_norm(name)))

    def value(self, name: str) -> str | None:
        for part in _parts(name):
            norm = _norm(part)
            hit = self.exact.get(norm) or self.fields.get(_CANONICAL.get(norm, ""))
            if hit:
                return self._hit(hit)
        return None


_LOOP_SPECIALS = {"@index": "0", "@first": "true", "@last": "true", "forloop.index": "1",
                  "forloop.index0": "0", "forloop.first": "true", "forloop.last": "true"}


class _Merge:
    def __init__(self, analysis: _Analysis, sample: Mapping[str, str], year: int | None) -> None:
        self.text = analysis.text
        self.toks = analysis.toks
        self.blocks = analysis.blocks
        self.sample = _Sample(sample)
        self.year = year
        self.out: list[str] = []
        self.unresolved: list[int] = []

    def run(self) -> None:
        self._range(0, len(self.toks), 0, len(self.text))

    def _range(self, i: int, j: int, p: int, q: int) -> None:
        """Render tokens i..j-1, which lie in text[p:q]. Only active blocks recurse, and they
        are at most MAX_NESTING deep."""
        toks, out = self.toks, self.out
        while i < j:
            tok = toks[i]
            out.append(self.text[p:tok.start])
            block = self.blocks.get(i)
            if block is not None and block.active:
                self._block(block)
                i, p = block.close + 1, toks[block.close].end
                continue
            self._one(i)
            i, p = i + 1, tok.end
        out.append(self.text[p:q])

    def _one(self, i: int) -> None:
        tok = self.toks[i]
        if tok.op == "comment":
            return
        if tok.op == "raw":
            self.out.append(self.text[tok.inner[0]:tok.inner[1]])
            return
        value = None
        if tok.op == "var":
            value = self._variable(tok)
        elif tok.op == "system":
            value = self._system(tok)
        if value is None:
            self.out.append(self.text[tok.start:tok.end])
            self.unresolved.append(i)
        else:
            self.out.append(value)

    def _block(self, block: _Block) -> None:
        toks = self.toks
        chosen = self._choose(block)
        if chosen is None:
            return
        bounds = [block.open, *block.mids, block.close]
        head, nxt = bounds[chosen], bounds[chosen + 1]
        self._range(head + 1, nxt, toks[head].end, toks[nxt].start)

    def _choose(self, block: _Block) -> int | None:
        toks = self.toks
        opener = toks[block.open]
        other = _else_branch(toks, block)
        kind = opener.block
        if kind in _LOOPS:
            return 0
        if kind in ("with", "section", "inverted"):
            value = self._lookup(opener.name, opener.family)
            if value is None and (kind == "with" or _field_of(opener.name) is None):
                present = True  # a list or object the sample cannot hold: show it once
            else:
                present = _truthy(value)
            return 0 if present != (kind == "inverted") else other
        if kind == "interested":
            return other
        if kind == "case":
            subject = self._arg(opener.args[0], "st")
            for k, mid in enumerate(block.mids):
                tok = toks[mid]
                if tok.block == "else" or any(_compare("==", subject, self._arg(a, "st"))
                                              for a in tok.args):
                    return k + 1
            return None
        family = opener.family
        if opener.cond is not None and self._test(opener.cond, family):
            return 0
        for k, mid in enumerate(block.mids):
            tok = toks[mid]
            if tok.block == "else" or (tok.cond is not None and self._test(tok.cond, family)):
                return k + 1
        return None

    def _test(self, cond: _Cond, family: Family) -> bool:
        result = any(all(self._term(t, family) for t in group) for group in cond.groups)
        return result != cond.negate

    def _term(self, term: _Term, family: Family) -> bool:
        left = self._arg(term.left, family)
        if not term.op:
            result = _truthy(left)
        else:
            right = self._arg(term.right, family) if term.right else None
            result = _compare(term.op, left, right)
        return result != term.negate

    def _arg(self, arg: _Arg, family: Family) -> str | None:
        return self._lookup(arg.path, family) if arg.path is not None else arg.value

    def _lookup(self, name: str, family: Family) -> str | None:
        """A name's value in a condition: the sample's, else a system tag's preview value
        (`*|IF:REWARDS|*` is false, `*|IFNOT:ARCHIVE_PAGE|*` true)."""
        special = _LOOP_SPECIALS.get(name.lower())
        if special is not None:
            return special
        value = self.sample.value(name)
        if value is not None:
            return value
        role = _mailchimp_role(name) if family == "mc" else _brace_role(name)
        return self._role_value(role, name) if role else None

    def _variable(self, tok: _Tok) -> str | None:
        if tok.helper and tok.helper.lower() not in (*_HB_KNOWN_HELPERS, "personalization_token"):
            return None
        if tok.literal is not None:
            value: str | None = tok.literal
        else:
            value = _LOOP_SPECIALS.get(tok.name.lower())
            if value is None:
                value = self.sample.value(tok.name)
        if not value and tok.fallback is not None:
            if tok.dialect is Dialect.HANDLEBARS and not tok.raw_out:
                return html.escape(tok.fallback)
            return tok.fallback
        if value is None:
            return None
        value = _filtered(value, tok.filters)
        if tok.transform == "TITLE":
            value = value.title()
        elif tok.transform == "UPPER":
            value = value.upper()
        elif tok.transform == "LOWER":
            value = value.lower()
        return html.escape(value)

    def _system(self, tok: _Tok) -> str | None:
        role = (_mailchimp_role(tok.name) if tok.family == "mc"
                else _LEGACY_ONLY.get(_norm(tok.name)) if tok.family == "legacy"
                and _norm(tok.name) in _LEGACY_ONLY else _brace_role(tok.name))
        value = self.sample.exact_value(tok.name)
        if value is None and role is not None:
            value = self._role_value(role, tok.name)
        if value is None:
            return None
        if (tok.family == "st" and role in _LINK_LABELS
                and not _norm(tok.name).endswith(("url", "link"))):
            label = tok.args[0].value if tok.args and tok.args[0].value else _LINK_LABELS[role]
            return f'<a href="{html.escape(value)}">{html.escape(label)}</a>'
        return html.escape(value)

    def _role_value(self, role: str, name: str) -> str | None:
        sample = self.sample
        if role == "current_year":
            if self.year is not None:
                return str(self.year)
            return sample.exact_value("current_year")
        if role in ("company", "list_name"):
            return sample.exact_value("company") or "Your Company"
        if role == "sender":
            return (sample.exact_value("sender_name") or sample.exact_value("company")
                    or "Your Company")
        if role in ("postal_address", "postal_address_part"):
            given = sample.exact_value("postal_address") if role == "postal_address" else None
            if given is not None:
                return given
            return _PART_VALUES.get(_norm(name), _PREVIEW_VALUES["postal_address"])
        if role in ("subject", "preheader", "body", "list_description"):
            return sample.exact_value(role) or _PREVIEW_VALUES.get(role)
        return _PREVIEW_VALUES.get(role)
