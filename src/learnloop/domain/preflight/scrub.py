"""One failed rule of a pre-flight run as an anonymised example for the feedback library.

`scrub_example` takes the run's artifact (as stored: `reading.artifact_to_data`) and the
findings of one rule, picks the small part of the email the findings point at (the HTML around
a link or an image, the footer, the head, or the header, metadata and audience lines involved)
and writes it out again with everything that names someone replaced:

- email addresses become `person1@brand.example`, `person2@example.com` ... (numbered in order
  of appearance; the domain is mapped as below, so a From and a Reply-To on different domains
  still differ; addresses at free mail providers get `example.com`);
- people's names (the sample contact's, the From display name when it is a person, the names
  in email addresses, greetings and sign-offs such as "Hi Ana" or "Thanks, Ana", and the
  organisation's members passed in) become "Alex Sample";
- postal addresses (the patterns of `content.ADDRESS_PATTERNS`, with the town and postcode
  around them) become "1 Example Street, Exampletown"; phone numbers "555-0100";
- brand names (the settings' `brand_names`, the From display name when it names the brand,
  the first label of the From, Reply-To and owned domains) become "Brand"; every host (From and
  Reply-To domains, links, images, domains in text) becomes `brand.example`, `brand2.example`
  ... (one per registrable domain; the From domain is always `brand.example`; subdomains such as
  `www` and `shop` are kept, others dropped);
- links keep their scheme, port, path shape and UTM parameters (their values are what R1 to R6
  are about), with names and brands taken out of the path and UTM values; other query values
  become `x` (merge tags are kept); images' sources become `https://brand.example/image1.png`;
- scripts, embedded objects, event handlers and comments are removed.

The HTML is re-serialised from the parsed tree, never copied as text, so nothing the scrubber
does not understand passes through. The result says what was replaced (kind and count, never
the original values), and is the same for the same input: nothing here is random.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from email.utils import getaddresses
from itertools import pairwise
from typing import Any, Literal

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from learnloop.domain.preflight.content import ADDRESS_PATTERNS
from learnloop.domain.preflight.links import is_ip, registrable
from learnloop.domain.preflight.page import is_hidden_style, squash

MAX_EXCERPT = 4000  # characters of the whole excerpt
CONTEXT_HTML = 1500  # characters of source HTML around one finding
MAX_FRAGMENTS = 3
MAX_LINES = 40
MAX_DEPTH = 120  # elements deep, in one fragment

NAME = "Alex Sample"
BRAND = "Brand"
ADDRESS = "1 Example Street, Exampletown"
TOWN = "Exampletown"
PHONE = "555-0100"
TEST_IP = "192.0.2.1"  # TEST-NET-1, RFC 5737

Language = Literal["html", "text"]

KINDS: Mapping[str, str] = {  # what the reviewer is told was replaced
    "email": "email addresses",
    "name": "people's names",
    "address": "postal addresses",
    "phone": "phone numbers",
    "brand": "brand names",
    "domain": "domain names",
    "link": "links (host, path and query)",
    "query": "query values other than UTM",
    "image": "image sources",
    "script": "scripts and embedded objects removed",
    "handler": "event handlers removed",
    "comment": "HTML comments removed",
}


@dataclass(frozen=True, slots=True)
class Replacement:
    kind: str  # a key of KINDS
    count: int

    @property
    def label(self) -> str:
        return KINDS.get(self.kind, self.kind)


@dataclass(frozen=True, slots=True)
class ScrubbedExample:
    rule: str
    excerpt: str
    language: Language
    replaced: tuple[Replacement, ...]

    def digest(self, run_id: str) -> str:
        """What a reviewer approves: this excerpt, of this rule, of this run."""
        return example_digest(run_id, self.rule, self.excerpt, self.replaced)


@dataclass(frozen=True, slots=True)
class Known:
    """What to hide beyond what the artifact names itself: the organisation's brand names and
    domains (from its pre-flight settings) and the names of its members."""

    brand_names: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    people: tuple[str, ...] = ()


def example_digest(run_id: str, rule: str, excerpt: str,
                   replaced: Iterable[Replacement]) -> str:
    data = {"run": run_id, "rule": rule, "excerpt": excerpt,
            "replaced": [[r.kind, r.count] for r in replaced]}
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=True)
                          .encode("ascii")).hexdigest()


def replaced_data(replaced: Iterable[Replacement]) -> list[dict[str, Any]]:
    return [{"kind": r.kind, "count": r.count} for r in replaced]


def replaced_from_data(data: object) -> tuple[Replacement, ...]:
    if not isinstance(data, list):
        return ()
    return tuple(Replacement(str(d.get("kind", "")), int(d.get("count", 0)))
                 for d in data if isinstance(d, dict))


def excerpt_language(excerpt: str) -> Language:
    """HTML when the excerpt holds markup after its header lines; text otherwise."""
    return "html" if re.search(r"(?m)^\s*<[a-zA-Z!]", excerpt) else "text"


# --- what the artifact names ---

def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


TAG = re.compile(r"\*\|.*?\|\*|\{\{.*?\}\}|\{%.*?%\}|<%.*?%>|\[[A-Za-z_]+\]|%%.+?%%|\$\{.*?\}",
                 re.DOTALL)
_EMAIL = re.compile(r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*(?:@|%40)"
                    r"(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,24}(?![\w-])")
_URL = re.compile(r"(?i)(?:\b(?:https?|ftp)://|(?<![\w/:])//(?=[\w-]+\.[\w.-]+)|\bwww\.)"
                  r"[^\s\"'<>()\[\]{}]+")
_IP = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]|\.\d)")
_TLDS = ("com|net|org|io|co|uk|de|fr|es|it|nl|be|ch|at|se|no|dk|fi|ie|eu|us|ca|au|nz|in|jp|br|"
         "mx|pl|pt|info|biz|app|shop|store|online|site|email|news|blog|media|agency|digital|"
         "tech|dev|me|tv|ly|gl|to|cc|ai|xyz|club|top|example|test")
_HOST = re.compile(r"(?i)(?<![\w.@/%-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
                   r"(?:" + _TLDS + r")(?![\w-]|\.[a-z0-9])")
_PHONE = re.compile(r"(?<![\w+.])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,5}\)[\s.-]?)?\d{2,5}"
                    r"(?:[\s.-]\d{2,5}){1,4}(?![\w.]|\.\d)")
_DATE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}")
_GREETING = re.compile(
    r"\b(?:Hi|Hello|Hey|Dear|Hiya|Howdy|Hallo|Bonjour|Hola|Ciao|Hej|Welcome|Morning|"
    r"Good (?:morning|afternoon|evening)|Thanks|Thank you|Cheers|Best|Regards|Best wishes|"
    r"Kind regards|Warm regards|Sincerely|Love|Yours|Congratulations|Congrats)[,!:]?\s+"
    r"([A-Z][a-zà-ÿ'’-]+(?:\s+[A-Z][a-zà-ÿ'’-]+)?)")
_NOT_NAMES = _words("""there all everyone everybody friend friends team the your our you we
    us customer customers subscriber subscribers folks again for from of sir madam valued dear
    member members reader readers guys hi hello and to back in on at regards wishes this
    that these it its here now today again welcome thanks""")
_GENERIC_LOCAL = _words("""info news newsletter newsletters hello hi contact support help
    team sales marketing noreply reply mail email emails admin office service services billing
    accounts account orders order shop store updates update notifications notification
    alerts alert no do not mailer bounce bounces list lists unsubscribe unsub feedback press media
    jobs careers hr legal privacy security webmaster postmaster abuse root test seed qa demo
    offers offer deals promo promotions events community members customer customers care crm
    digital online web www the and from me you my our inbox hey welcome""")
_FREE_MAIL = _words("""gmail googlemail outlook hotmail live msn yahoo ymail icloud me mac
    aol proton protonmail gmx web mail yandex zoho fastmail""")
EXEMPT_HOSTS = ("example.com", "example.org", "example.net", "yourdomain.com",
                "yourcompany.com", "domain.com", "yoursite.com", "website.com", "company.com",
                "test.com", "brand.example", "localhost")
_KEEP_SUBDOMAINS = _words("""www www2 m mobile shop store cdn img images image static assets
    media email mail click clicks links link go news info blog help support app account
    accounts secure pages lp landing t e l u""")
_TEXT_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_URL_WORD = re.compile(r"[^\W\d_]+")
_OURS = re.compile(r"(?:[\w-]+\.)*brand\d*\.example")
_ENCODED = re.compile(r"%[0-9A-Fa-f]{2}|\+")
_URL_PIECES = re.compile("(" + _EMAIL.pattern + "|" + _ENCODED.pattern + ")")
_WORDY = re.compile(r"[A-Za-z]+(?:[-_.][A-Za-z]+)*")
_FOOTER = re.compile(r"unsubscribe|opt[ -]?out|preferences|copyright|©|all rights reserved"
                     r"|you (?:are )?receiv|sent to|this email was sent", re.IGNORECASE)
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term", "utm_id")

_STREET_GAP = re.compile(r"[\s,]*(?:[A-Z][\w'’-]*[\s,]+){0,3}")
_ADDRESS_TAIL = re.compile(r"(?:,?[ \t]+(?:[A-Z][\w'’-]*|\d{3,6}(?:-\d{4})?)){1,5}")


def _domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower().strip(" >.")


def _mailboxes(value: object) -> list[tuple[str, str]]:
    if not isinstance(value, str) or not value.strip():
        return []
    return [(name.strip(), addr.strip()) for name, addr in getaddresses([value]) if "@" in addr]


def _title(word: str) -> str:
    return word[:1].upper() + word[1:]


def _name_parts(full: str, minimum: int = 3) -> list[str]:
    parts = [p for p in re.split(r"[\s,]+", full.strip()) if p]
    return [p for p in parts if len(p) >= minimum and re.fullmatch(r"[^\W\d_][\w'’.-]*", p)
            and p.lower() not in _NOT_NAMES]


def _local_names(address: str) -> list[str]:
    local = address.partition("@")[0]
    return [_title(p.lower()) for p in re.split(r"[._+-]+", local)
            if len(p) >= 3 and p.isalpha() and p.lower() not in _GENERIC_LOCAL]


def _mimic(original: str, replacement: str, url: bool) -> str:
    if url:
        replacement = replacement.replace(" ", "-").replace(",", "")
    if original.islower():
        return replacement.lower()
    if original.isupper() and len(original) > 1:
        return replacement.upper()
    return replacement


def _stand_in(replacement: str, url: bool) -> Callable[[str], str]:
    return lambda original: _mimic(original, replacement, url)


def _alternation(words: Iterable[str]) -> str:
    unique = sorted({w for w in words if w}, key=lambda w: (-len(w), w))
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in unique)


@dataclass(frozen=True, slots=True)
class _Span:
    start: int
    end: int
    rank: int
    kind: str
    make: Callable[[str], str]


class _Scrubber:
    """What to look for in one artifact, and the placeholders given out so far."""

    def __init__(self, artifact: Mapping[str, Any], known: Known, visible_text: str) -> None:
        campaign = artifact.get("campaign") or {}
        email = artifact.get("email") or {}
        sample = artifact.get("sample") or {}
        self.counts: Counter[str] = Counter()
        self._emails: dict[str, int] = {}
        self._domains: dict[str, int] = {}
        self._images: dict[str, int] = {}

        senders = _mailboxes(email.get("from")) + _mailboxes(email.get("reply_to"))
        owner = campaign.get("owner") if isinstance(campaign.get("owner"), str) else ""
        domains = [_domain_of(a) for _, a in senders] + ([_domain_of(owner)] if owner else [])
        domains += [d.lower() for d in known.domains]
        for domain in domains:  # the From domain first: it is always brand.example
            self._seed(domain)

        brands = [b.strip() for b in known.brand_names if b.strip()]
        for domain in domains:
            label = registrable(domain).split(".")[0]
            if len(label) >= 3 and label not in _FREE_MAIL:
                brands += [label, label.replace("-", " ")]
        brands += [b.split()[0] for b in list(brands) if len(b.split()[0]) >= 4
                   and b.split()[0].lower() not in _NOT_NAMES]
        names: list[str] = []
        brand_words = {b.lower() for b in brands}
        for display, address in senders:
            names += _local_names(address)
            if not display or display.lower() in _GENERIC_LOCAL:
                continue
            if any(w in display.lower() for w in brand_words):
                pieces = re.split(r"\s+(?:at|from|@|\||-|–|·)\s+|,\s*", display)
                for piece in pieces:
                    if any(w in piece.lower() for w in brand_words):
                        brands.append(piece.strip())
                    else:
                        names += [piece.strip(), *_name_parts(piece)]
            else:
                names += [display, *_name_parts(display)]
        if owner:
            names += _local_names(owner)
        for person in known.people:
            names += [person, *_name_parts(person)]
        for match in _GREETING.finditer(visible_text):
            words = [w for w in match.group(1).split() if w.lower() not in _NOT_NAMES]
            if words and words == match.group(1).split()[:len(words)]:
                names += [" ".join(words), *words]

        literals: list[tuple[str, str, str]] = []  # (value, kind, stand-in)
        for key, value in sample.items():
            if not isinstance(value, str) or len(value.strip()) < 2:
                continue
            lowered, text = str(key).lower(), value.strip()
            if "company" in lowered or "brand" in lowered or "org" in lowered:
                brands.append(text)
            elif "name" in lowered:
                names += [text, *_name_parts(text, 2)]
            elif re.search(r"city|town", lowered):
                literals.append((text, "address", TOWN))
            elif re.search(r"address|street|zip|post|state|country|region", lowered):
                literals.append((text, "address", ADDRESS))
            elif re.search(r"phone|mobile|tel", lowered):
                literals.append((text, "phone", PHONE))
        self.brands = re.compile(r"(?i)(?<!\w)(?:" + _alternation(brands) + r")(?!\w)") \
            if brands else None
        self.names: set[str] = set()  # as written, in title case and in capitals
        for name in names:
            words = name.split()
            if not words or len(name) < 2 or name.lower() in _NOT_NAMES or \
                    name.lower() == NAME.lower():
                continue
            self.names |= {" ".join(words), " ".join(words).upper(),
                           " ".join(_title(w) for w in words)}
        self.url_names = {" ".join(re.findall(r"[^\W\d_]+", n.lower())) for n in self.names}
        self.name_words = min(4, max((len(n.split()) for n in self.url_names), default=0))
        self.literals = [(re.compile(r"(?i)(?<!\w)" + re.escape(value) + r"(?!\w)"), kind,
                          stand_in) for value, kind, stand_in in literals]
        known_hosts = {registrable(d) for d in domains if d}
        self.known_hosts = re.compile(
            r"(?i)(?<![\w.@/%-])(?:[a-z0-9-]+\.)*(?:" + _alternation(known_hosts)
            + r")(?![\w-]|\.[a-z0-9])") if known_hosts else None

    def _name_spans(self, text: str, url: bool) -> list[tuple[int, int]]:
        """Where the text names someone: runs of one to four words (with only spaces between
        them; in a URL also - _ . and +) that are a known name. Set lookups, so thousands of
        members cost no more than one."""
        if not self.names:
            return []
        words = list((_URL_WORD if url else _TEXT_WORD).finditer(text))
        known = self.url_names if url else self.names
        spans: list[tuple[int, int]] = []
        index = 0
        while index < len(words):
            for size in range(min(self.name_words, len(words) - index), 0, -1):
                run = words[index:index + size]
                gaps = [text[a.end():b.start()] for a, b in pairwise(run)]
                if not all(re.fullmatch(r"[-_.+\s]+" if url else r"\s+", g) for g in gaps):
                    continue
                candidate = " ".join(w.group() for w in run)
                if (candidate.lower() if url else candidate) in known:
                    spans.append((run[0].start(), run[-1].end()))
                    index += size - 1
                    break
            index += 1
        return spans

    # -- placeholders --

    def _seed(self, domain: str) -> None:
        domain = domain.strip(". ").lower()
        if domain and not self._exempt(domain) and not is_ip(domain):
            self._domains.setdefault(registrable(domain).split(".")[0],
                                     len(self._domains) + 1)

    @staticmethod
    def _exempt(host: str) -> bool:
        """Placeholder hosts, ours included, are not anyone's."""
        return any(host == h or host.endswith("." + h) for h in EXEMPT_HOSTS) or \
            bool(_OURS.fullmatch(host))

    def host(self, host: str, *, count: bool = True) -> str:
        h = host.lower().strip(".")
        if not h or TAG.search(host) or self._exempt(h):
            return host
        if count:
            self.counts["domain"] += 1
        if is_ip(h):
            return TEST_IP
        reg = registrable(h)
        key = reg.split(".")[0]
        number = self._domains.setdefault(key, len(self._domains) + 1)
        base = "brand.example" if number == 1 else f"brand{number}.example"
        subs = [s for s in h[: -len(reg)].strip(".").split(".") if s in _KEEP_SUBDOMAINS] \
            if h != reg else []
        return ".".join([*subs, base])

    def email(self, address: str) -> str:
        at = "%40" if "%40" in address and "@" not in address else "@"
        local, _, domain = address.partition(at)
        key = f"{local}@{domain}".lower()
        number = self._emails.setdefault(key, len(self._emails) + 1)
        self.counts["email"] += 1
        label = registrable(domain.lower()).split(".")[0]
        mapped = "example.com" if label in _FREE_MAIL or self._exempt(domain.lower()) \
            else self.host(domain, count=False)
        return f"person{number}{at}{mapped}"

    def image(self, src: str) -> str:
        raw = src.strip()
        if not raw or TAG.fullmatch(raw):
            return src
        self.counts["image"] += 1
        if raw.lower().startswith("data:"):
            return "data:image/png;base64,..."
        number = self._images.setdefault(raw, len(self._images) + 1)
        path = re.split(r"[?#]", raw, maxsplit=1)[0]
        ext = re.search(r"\.(png|jpe?g|gif|webp|svg|bmp|avif)$", path, re.IGNORECASE)
        name = f"image{number}" + (f".{ext.group(1).lower()}" if ext else "")
        match = re.match(r"(?i)^(https?:)?//([^/?#]*)", raw)
        if match:
            host = match.group(2).rpartition("@")[2]
            hostname, _, port = host.partition(":")
            return f"{match.group(1) or ''}//{self.host(hostname, count=False)}" \
                f"{':' + port if port.isdigit() else ''}/{name}"
        return name

    # -- links --

    def link(self, href: str) -> str:
        raw = href.strip()
        out = self._link(raw)
        if out != raw:
            self.counts["link"] += 1
        return out

    def _link(self, raw: str) -> str:
        lowered = raw.lower()
        if not raw or raw in ("#", "http://", "https://", "about:blank") or \
                lowered.startswith("javascript:void") or TAG.fullmatch(raw):
            return raw
        if lowered.startswith("mailto:"):
            address, mark, query = raw[7:].partition("?")
            addresses = ",".join(self._url_text(a) for a in address.split(","))
            return f"{raw[:7]}{addresses}{mark}{self._query(query, keep_text=True)}"
        if lowered.startswith(("tel:", "sms:")):
            self.counts["phone"] += 1
            return raw[:4] + "+15550100"
        for scheme, stand_in in (("javascript:", "..."), ("vbscript:", "..."),
                                 ("data:", ",..."), ("file:", "///example/file")):
            if lowered.startswith(scheme):
                return raw[: len(scheme)] + stand_in
        tag = TAG.match(raw)
        if tag:  # the ESP fills in the address: keep the tag, scrub what follows
            return raw[: tag.end()] + self._rest(raw[tag.end():])
        match = re.match(r"(?i)^((?:https?|ftp):)?//([^/?#]*)(.*)$", raw, re.DOTALL)
        if match:
            scheme, netloc, rest = match.group(1) or "", match.group(2), match.group(3)
            host = netloc.rpartition("@")[2]  # user:password@ is dropped
            hostname, colon, port = host.rpartition(":") if re.search(r":\d*$", host) \
                else (host, "", "")
            return f"{scheme}//{self.host(hostname, count=False)}{colon}{port}" \
                f"{self._rest(rest)}"
        bare = _HOST.match(raw)
        if bare is not None and (bare.end() == len(raw) or raw[bare.end()] in "/?#:"):
            return self.host(bare.group(), count=False) + self._rest(raw[bare.end():])
        return self._rest(raw)

    def _rest(self, rest: str) -> str:
        """Path, query and fragment, in the order written (a # before the ? is kept so)."""
        pieces = re.split(r"([?#])", rest)
        out = ["/".join(self._segment(s) for s in pieces[0].split("/"))]
        mode = ""
        for piece in pieces[1:]:
            if piece in ("?", "#"):
                mode = piece
                out.append(piece)
            elif mode == "?":
                out.append(self._query(piece, keep_text=False))
            else:
                out.append(self._segment(piece) if piece else piece)
        return "".join(out)

    def _url_text(self, value: str) -> str:
        """Text in a URL: addresses first (also with %40), then each run between encoded
        characters, so "Hi%20Ana" loses the name too."""
        out: list[str] = []
        for piece in _URL_PIECES.split(value):
            if _EMAIL.fullmatch(piece):
                out.append(self.email(piece))
            elif _ENCODED.fullmatch(piece):
                out.append(piece)
            else:
                out.append(self.text(piece, url=True))
        return "".join(out)

    def _segment(self, segment: str) -> str:
        if not segment or TAG.fullmatch(segment):
            return segment
        text = self._url_text(segment)
        if _WORDY.fullmatch(text) and len(text) <= 40:
            return text
        stem, dot, ext = text.rpartition(".")
        if dot and re.fullmatch(r"[A-Za-z0-9]{1,5}", ext) and _WORDY.fullmatch(stem or "x"):
            return text
        if text.isdigit():
            return "0" * min(len(text), 8)
        return "id" + (f".{ext.lower()}" if dot and re.fullmatch(r"[A-Za-z]{2,5}", ext) else "")

    def _query(self, query: str, *, keep_text: bool) -> str:
        out: list[str] = []
        for piece in re.split(r"(&amp;|&|;)", query):
            if piece in ("&amp;", "&", ";") or not piece:
                out.append(piece)
                continue
            key, eq, value = piece.partition("=")
            if keep_text or key.lower() in UTM_KEYS or not value or \
                    TAG.fullmatch(value.strip()):
                out.append(self._url_text(key) + eq + self._url_text(value))
            else:
                self.counts["query"] += 1
                out.append(self._url_text(key) + eq + "x")
        return "".join(out)

    # -- text --

    def text(self, text: str, *, url: bool = False) -> str:
        """Every name, address, brand and host in a piece of text replaced. `url` is for parts
        of a link: names match in any case there and multi-word placeholders get hyphens."""
        if not text:
            return text
        spans: list[_Span] = []

        def add(pattern: re.Pattern[str] | None, rank: int, kind: str,
                make: Callable[[str], str]) -> None:
            if pattern is None:
                return
            for m in pattern.finditer(text):
                spans.append(_Span(m.start(), m.end(), rank, kind, make))

        if not url:
            for m in _URL.finditer(text):
                end = m.end()
                while end > m.start() and text[end - 1] in ".,;:!?":
                    end -= 1
                spans.append(_Span(m.start(), end, 0, "", self.link))
        add(_EMAIL, 1, "", self.email)
        add(_IP, 2, "domain", lambda _: TEST_IP)
        if not url:
            for start, end in _address_spans(text):
                spans.append(_Span(start, end, 3, "address", lambda _: ADDRESS))
            for m in _PHONE.finditer(text):
                digits = sum(c.isdigit() for c in m.group())
                if 7 <= digits <= 15 and not _DATE.fullmatch(m.group()):
                    spans.append(_Span(m.start(), m.end(), 4, "phone", lambda _: PHONE))
        add(self.known_hosts, 5, "", self.host)
        add(_HOST, 5, "", self.host)
        add(self.brands, 6, "brand", lambda o: _mimic(o, BRAND, url))
        for start, end in self._name_spans(text, url):
            spans.append(_Span(start, end, 7, "name", _stand_in(NAME, url)))
        for pattern, kind, stand_in in self.literals:
            add(pattern, 8, kind, _stand_in(stand_in, url))
        if not spans:
            return text
        taken: list[_Span] = []
        for span in sorted(spans, key=lambda s: (s.rank, s.start, s.start - s.end)):
            if span.end > span.start and all(span.end <= t.start or span.start >= t.end
                                             for t in taken):
                taken.append(span)
        out: list[str] = []
        position = 0
        for span in sorted(taken, key=lambda s: s.start):
            original = text[span.start:span.end]
            out.append(text[position:span.start])
            out.append(span.make(original))
            if span.kind:
                self.counts[span.kind] += 1
            position = span.end
        out.append(text[position:])
        return "".join(out)


def _address_spans(text: str) -> list[tuple[int, int]]:
    """Postal addresses: every pattern match, joined with the town names between two matches
    and extended over the town, region and postcode that follow."""
    matches = sorted((m.start(), m.end()) for p in ADDRESS_PATTERNS for m in p.finditer(text))
    merged: list[list[int]] = []
    for start, end in matches:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            continue
        if merged:
            gap = _STREET_GAP.fullmatch(text, merged[-1][1], start)
            if gap is not None and start - merged[-1][1] <= 60:
                merged[-1][1] = max(merged[-1][1], end)
                continue
        merged.append([start, end])
    out = []
    for start, end in merged:
        lead = re.search(r"\d{1,6}[-–/]$", text[max(0, start - 8):start])
        if lead is not None:  # 7-11 Commercial Ct
            start -= len(lead.group())
        tail = _ADDRESS_TAIL.match(text, end)
        if tail is not None and tail.end() - end <= 60:
            end = tail.end()
        out.append((start, end))
    return out


# --- the excerpt ---

_BLOCKS = _words("""p td th li div h1 h2 h3 h4 h5 h6 blockquote center section article
    header footer tr table ul ol dl form main aside nav figure""")
_VOID = _words("area base br col embed hr img input link meta source track wbr")
_REMOVED = _words("script iframe object embed applet frame frameset noscript template base")
_RAW_TEXT = frozenset({"style"})
_NOT_SHOWN = _words("style script noscript template title head")
_IMAGE_ATTRS = frozenset({"src", "background", "poster", "data-src", "lowsrc", "dynsrc"})
_LINK_ATTRS = frozenset({"href", "action", "formaction", "cite", "longdesc", "xlink:href"})
_INVISIBLE = re.compile("[\u00a0\u00ad\u034f\u180e\u200b-\u200f\u2060-\u2064\ufeff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)""", re.IGNORECASE | re.DOTALL)
_ATTR_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:.-]*$")
_HEADER_WHERE = ("headers", "list-unsubscribe", "list-unsubscribe-post", "dkim-signature h=",
                 "from", "reply_to", "subject", "text part", "preheader")


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n") \
        .replace("\u2029", "\n").replace("\x85", "\n")
    return _CONTROL.sub("", text)


class _Writer:
    """Serialise a node again, scrubbing every text and attribute, within a budget."""

    def __init__(self, scrubber: _Scrubber, budget: int) -> None:
        self.s = scrubber
        self.budget = budget
        self.out: list[str] = []
        self.cut = False

    def _put(self, text: str) -> None:
        self.out.append(text)
        self.budget -= len(text)

    def node(self, node: LexborNode, depth: int = 0) -> None:
        if self.budget <= 0 or depth > MAX_DEPTH:
            if not self.cut:
                self._put("…")
                self.cut = True
            return
        tag = node.tag or ""
        if tag == "-text":
            text = _clean(node.text_content or "")
            self._put(_INVISIBLE.sub(lambda m: f"&#x{ord(m.group()):x};",
                                     html_lib.escape(self.s.text(text), quote=False)))
            return
        if tag.startswith(("-", "_", "!")):  # comments, doctype
            if tag == "-comment":
                self.s.counts["comment"] += 1
            return
        if tag in _REMOVED:
            self.s.counts["script"] += 1
            self._put(f"<!-- {tag} removed -->")
            return
        if tag == "tbody" and not node.attributes:  # added by the parser, as in browsers
            for child in node.iter(include_text=True):
                self.node(child, depth + 1)
            return
        self._put("<" + tag + self._attributes(node) + ">")
        if tag in _VOID:
            return
        if tag in _RAW_TEXT:
            css = self._css(_clean(node.text() or ""))
            self._put(css if len(css) <= 1200 else css[:1200] + " …")
        else:
            for child in node.iter(include_text=True):
                self.node(child, depth + 1)
        self._put(f"</{tag}>")

    def _attributes(self, node: LexborNode) -> str:
        parts: list[str] = []
        for raw_name, raw_value in node.attributes.items():
            name = raw_name.lower()
            value = _clean(raw_value or "")
            if not _ATTR_NAME.match(name):
                continue
            if name.startswith("on"):
                self.s.counts["handler"] += 1
                continue
            if name in _LINK_ATTRS:
                value = self.s.link(value)
            elif name in _IMAGE_ATTRS:
                value = self.s.image(value)
            elif name == "srcset":
                value = ", ".join(" ".join([self.s.image(p.split()[0]), *p.split()[1:]])
                                  for p in value.split(",") if p.split())
            elif name == "style":
                value = self._css(value)
            else:
                value = self.s.text(value)
            if raw_value is None:
                parts.append(f" {name}")
            else:
                parts.append(f' {name}="{html_lib.escape(value, quote=True)}"')
        return "".join(parts)

    def _css(self, css: str) -> str:
        css = _CSS_URL.sub(lambda m: f"url({self.s.image(m.group(2))})", css)
        css = re.sub(r"(?i)expression\s*\(|javascript:|behavior\s*:|-moz-binding", "", css)
        return self.s.text(css).replace("<", "")

    def result(self) -> str:
        return "".join(self.out)


@dataclass(slots=True)
class _Fragment:
    text: str
    html: bool
    counts: Counter[str]


class _Excerpt:
    def __init__(self, artifact: Mapping[str, Any], known: Known) -> None:
        self.artifact = artifact
        self.campaign: Mapping[str, Any] = artifact.get("campaign") or {}
        self.email: Mapping[str, Any] = artifact.get("email") or {}
        source = self.email.get("html")
        self.source = source if isinstance(source, str) else None
        self.tree = LexborHTMLParser(self.source) if self.source else None
        body = self.tree.body if self.tree is not None else None
        visible = body.text(separator=" ") if body is not None else ""
        text_part = self.email.get("text") if isinstance(self.email.get("text"), str) else ""
        self.scrubber = _Scrubber(artifact, known, f"{visible}\n{text_part}")
        self.links = self.tree.css("a[href], area[href]") if self.tree is not None else []
        self.images = self.tree.css("img") if self.tree is not None else []
        self.texts: list[_Fragment] = []
        self.parts: list[tuple[LexborNode, _Fragment]] = []  # HTML fragments and their nodes
        self.lines: set[str] = set()

    # -- collecting --

    @property
    def full(self) -> bool:
        return len(self.parts) >= MAX_FRAGMENTS

    def _scrubbed(self, make: Callable[[], str], *, html: bool) -> _Fragment:
        before = Counter(self.scrubber.counts)
        text = make()
        counts = Counter(self.scrubber.counts)
        counts.subtract(before)
        return _Fragment(text, html, +counts)

    def add_node(self, node: LexborNode | None) -> bool:
        """Show `node` (False when there is none). A node inside one already shown adds
        nothing; one that holds fragments already shown replaces them."""
        if node is None:
            return False
        ancestors = {n.mem_id for n in _ancestry(node)}
        if any(shown.mem_id in ancestors for shown, _ in self.parts):
            return True
        self.parts = [(shown, f) for shown, f in self.parts
                      if node.mem_id not in {a.mem_id for a in _ancestry(shown)}]
        if self.full:
            return True

        def make() -> str:
            writer = _Writer(self.scrubber, CONTEXT_HTML * 2)
            writer.node(node)
            return _tidy(writer.result())

        self.parts.append((node, self._scrubbed(make, html=True)))
        return True

    def add_lines(self, lines: list[tuple[str, str]]) -> None:
        fresh = [(k, v) for k, v in lines if k not in self.lines]
        if not fresh:
            return
        self.lines |= {k for k, _ in fresh}

        def make() -> str:
            out = []
            for key, value in fresh[:MAX_LINES]:
                shown = squash(_clean(value))[:300] if value else "(none)"
                out.append(f"{key}: {self.scrubber.text(shown)}")
            return "\n".join(out)

        self.texts.append(self._scrubbed(make, html=False))

    def add_text(self, key: str, text: str) -> None:
        if key in self.lines or not text.strip():
            return
        self.lines.add(key)
        self.texts.append(self._scrubbed(lambda: self.scrubber.text(_clean(text).strip()),
                                         html=False))

    # -- where a finding points --

    def add_finding(self, where: str, evidence: str | None) -> None:
        lowered = where.lower()
        match = re.match(r"(link|image) (\d+)\b", lowered)
        if match:
            pool = self.links if match.group(1) == "link" else self.images
            index = int(match.group(2)) - 1
            if 0 <= index < len(pool):
                self.add_node(_context(pool[index]))
            return
        if lowered in _HEADER_WHERE:
            self.add_lines(self._header_lines(lowered))
            return
        if lowered.startswith("campaign.") or lowered == "settings":
            self.add_lines(self._metadata_lines())
            return
        if lowered == "audience":
            self.add_audience()
            return
        if lowered == "footer":
            self.add_footer()
            return
        if lowered in ("<head>", "<head> styles"):
            head = self.tree.head if self.tree is not None else None
            if not self.add_node(head):
                self.add_lines([("head", "")])
            return
        if lowered == "html size":
            self.add_lines([("HTML size", evidence or f"{len(self.source or '') // 1024} KB")])
            return
        tag = re.fullmatch(r"<([a-z]+)>", lowered)
        if tag and self.tree is not None:
            found = self.tree.css_first(tag.group(1))
            if found is not None:
                self.add_node(_context(found))
            return
        if lowered in ("body", ""):
            if not self.add_node(_context_of(self._by_text(evidence))):
                self.add_body_start()
            return
        if lowered.startswith("hidden element"):
            node = self._by_text(evidence)
            while node is not None and not is_hidden_style(node.attributes.get("style") or ""):
                node = node.parent
            if not self.add_node(node):
                self.add_body_start()
            return
        node = self._by_selector(where) or self._by_href(evidence) or self._by_text(evidence)
        if node is not None:
            self.add_node(_context(node))
            return
        match = re.fullmatch(r"line (\d+)", lowered)
        if match and self.source is not None:
            number = int(match.group(1))
            lines = self.source.splitlines()[max(0, number - 3): number + 2]
            self.add_text(where, "\n".join(line[:300] for line in lines))
            return
        self.add_body_start()

    def _header_lines(self, where: str) -> list[tuple[str, str]]:
        email = self.email
        headers = [(str(h.get("name", "")), str(h.get("value", "")))
                   for h in email.get("headers") or [] if isinstance(h, dict)]
        lines: list[tuple[str, str]] = [("From", str(email.get("from") or ""))]
        if where in ("from", "reply_to"):
            if email.get("reply_to"):
                lines.append(("Reply-To", str(email["reply_to"])))
            return lines
        if where in ("subject", "preheader"):
            lines = [("Subject", str(email.get("subject") or ""))]
            if where == "preheader":
                lines.append(("Preheader", str(email.get("preheader") or self._preheader())))
            return lines
        if where == "text part":
            return [*lines, ("Subject", str(email.get("subject") or "")),
                    ("Parts", "text/html only, no text/plain part"
                     if not email.get("text") else "text/html and text/plain")]
        wanted = None if where == "headers" else \
            ("list-unsubscribe", "list-unsubscribe-post", "dkim-signature")
        for name, value in headers[:12]:
            if wanted is None or name.lower() in wanted:
                if name.lower() == "dkim-signature":
                    value = re.sub(r"\b(bh?)=[^;]*", r"\1=...", value)
                lines.append((name, value))
        if where == "headers" and not headers:
            lines.append(("(other headers)", ""))
        return lines

    def _preheader(self) -> str:
        if self.tree is None:
            return ""
        for node in self.tree.css("[style]"):
            if is_hidden_style(node.attributes.get("style") or ""):
                text = squash(node.text(separator=" "))
                if text:
                    return text
        return ""

    def _metadata_lines(self) -> list[tuple[str, str]]:
        c = self.campaign
        return [(f"campaign.{key}", str(c.get(key) or "")) for key in
                ("name", "message_type", "campaign_type", "send_date")]

    def add_audience(self) -> None:
        audience = self.artifact.get("audience")
        text = audience if isinstance(audience, str) else ""
        lines = text.splitlines()[:MAX_LINES]
        self.add_text("audience", "\n".join(lines) if lines else "(no audience given)")

    def _text_nodes(self) -> Iterable[LexborNode]:
        """The body's visible text nodes in document order (one pass: a deeply nested page
        costs no more than a flat one)."""
        if self.tree is None or self.tree.body is None:
            return
        for node in self.tree.body.traverse(include_text=True):
            if node.tag == "-text" and (node.text_content or "").strip() and \
                    node.parent is not None and node.parent.tag not in _NOT_SHOWN:
                yield node

    def add_footer(self) -> None:
        if self.tree is None or self.tree.body is None:
            text = self.email.get("text")
            if isinstance(text, str):
                self.add_text("footer", text[-600:])
            return
        last = worded = None
        for node in self._text_nodes():
            last = node
            if _FOOTER.search(node.text_content or ""):
                worded = node
        found = worded or last
        self.add_node(_context(found.parent, footer=True)
                      if found is not None and found.parent is not None else None)

    def add_body_start(self) -> None:
        if self.tree is not None and self.tree.body is not None:
            first = next((n for n in self._text_nodes()
                          if len(squash(n.text_content or "")) >= 40), None)
            if first is not None and first.parent is not None:
                self.add_node(_context(first.parent))
            else:
                self.add_node(self.tree.body)
            return
        text = self.email.get("text")
        if isinstance(text, str):
            self.add_text("text", text[:600])

    def _by_selector(self, where: str) -> LexborNode | None:
        if self.tree is None or not re.match(r"^[a-z][\w#.:()>\s-]*$", where) or \
                not re.search(r"[#.>]|^[a-z]+\d?$", where) or where in ("body", "html", "head"):
            return None
        for selector in (where, re.sub(r"\s*>\s*", " ", where)):
            try:
                found = self.tree.css_first(selector)
            except SelectolaxError:  # a path the CSS engine does not read
                found = None
            if found is not None:
                return found
        return None

    def _by_href(self, evidence: str | None) -> LexborNode | None:
        if not evidence:
            return None
        return next((n for n in self.links if (n.attributes.get("href") or "").strip()
                     == evidence.strip()), None)

    def _by_text(self, evidence: str | None) -> LexborNode | None:
        if self.tree is None or self.tree.body is None or not evidence:
            return None
        wanted = squash(evidence).rstrip("…").strip()
        if not wanted:
            return None
        for node in self.tree.body.traverse(include_text=True):
            if node.tag == "-text" and wanted in squash(node.text_content or ""):
                return node.parent
        for node in self.tree.body.traverse():
            for value in node.attributes.values():
                if value and wanted in value:
                    return node
        return None

    # -- the result --

    def result(self, rule: str) -> ScrubbedExample:
        kept: list[_Fragment] = []
        size = 0
        for fragment in [*self.texts, *(f for _, f in self.parts)]:
            if kept and size + len(fragment.text) > MAX_EXCERPT:
                continue
            kept.append(fragment)
            size += len(fragment.text) + 3
        head = "\n".join(f.text for f in kept if not f.html)
        body = "\n…\n".join(f.text for f in kept if f.html)
        excerpt = "\n\n".join(part for part in (head, body) if part)
        if len(excerpt) > MAX_EXCERPT:
            excerpt = excerpt[: MAX_EXCERPT - 1] + "…"
        counts: Counter[str] = Counter()
        for fragment in kept:
            counts.update(fragment.counts)
        replaced = tuple(Replacement(kind, counts[kind]) for kind in KINDS if counts[kind])
        return ScrubbedExample(rule, excerpt, "html" if body else "text", replaced)


def _ancestry(node: LexborNode) -> list[LexborNode]:
    out = []
    current: LexborNode | None = node
    while current is not None:
        out.append(current)
        current = current.parent
    return out


def _context(node: LexborNode, *, footer: bool = False) -> LexborNode:
    """The finding's element and enough around it to read it: up to the nearest block (a
    paragraph, a cell ...) that is more than a thin wrapper, within CONTEXT_HTML characters of
    source. The footer is taken whole when it fits."""
    context = node
    while True:
        parent = context.parent
        if parent is None or parent.tag in ("body", "html", "head") or \
                len(parent.html or "") > CONTEXT_HTML:
            return context
        if context.tag in _BLOCKS and (
                len(squash(context.text(separator=" "))) >= 120 if footer
                else len(context.html or "") >= 80):
            return context
        context = parent


def _context_of(node: LexborNode | None) -> LexborNode | None:
    return _context(node) if node is not None else None


def _tidy(text: str) -> str:
    """Trailing spaces and repeated blank lines out; the source's indentation shifted left as
    far as the lines after the first allow (the first starts where the fragment does)."""
    lines = [line.rstrip() for line in text.split("\n")]
    indents = [len(line) - len(line.lstrip()) for line in lines[1:] if line.strip()]
    shift = min(indents, default=0)
    lines = lines[:1] + [line[shift:] for line in lines[1:]]
    out: list[str] = []
    for line in lines:
        if not line.strip() and out and not out[-1].strip():
            continue
        out.append(line)
    return "\n".join(out).strip()


def scrub_example(artifact: Mapping[str, Any], rule: str,
                  findings: Sequence[Mapping[str, Any]], known: Known | None = None,
                  ) -> ScrubbedExample:
    """The part of the email that `findings` (one rule's, as stored in the report) point at,
    anonymised. Findings at coaching severity are left out when the rule has others."""
    excerpt = _Excerpt(artifact, known or Known())
    serious = [f for f in findings if f.get("severity") in ("fail", "warn")] or list(findings)
    for finding in serious[:12]:
        where = finding.get("where")
        evidence = finding.get("evidence")
        excerpt.add_finding(where if isinstance(where, str) else "",
                            evidence if isinstance(evidence, str) else None)
        if excerpt.full:
            break
    if not excerpt.texts and not excerpt.parts:
        excerpt.add_body_start()
    return excerpt.result(rule)
