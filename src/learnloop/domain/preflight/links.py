"""The email's links: what each one is, and the rules about them (UTM, placeholders, hygiene).

UTM rules read the final destination URLs as the author wrote them, before the ESP wraps them
for click tracking. A link whose address is a merge tag is the ESP's own (unsubscribe, view in
browser) and is not a landing page.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import parse_qsl, urlsplit

from learnloop.domain.preflight.config import PreflightConfig
from learnloop.domain.preflight.findings import Finding, RuleResult, Severity, result_of
from learnloop.domain.preflight.page import Link

UTM = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term", "utm_id")
_TAGGISH = re.compile(r"\*\|.*?\|\*|\{\{.*?\}\}|\{%.*?%\}|<%.*?%>|\[[A-Za-z_]+\]|%%.+?%%|"
                      r"\$\{.*?\}")
_UTILITY = re.compile(r"unsubscribe|opt-?out|preferences|manage|profile|forward|view[- ]?(?:in|"
                      r"online|web|browser)|webversion|archive", re.IGNORECASE)
_PLACEHOLDER_HOSTS = ("example.com", "example.org", "example.net", "yourdomain.com",
                      "yourcompany.com", "domain.com", "yoursite.com", "website.com",
                      "company.com", "test.com")
STANDARD_PORTS = (None, 80, 443)


class LinkKind(StrEnum):
    WEB = "web"  # http or https
    MERGE = "merge"  # the address is (or starts with) a merge tag: the ESP fills it in
    MAILTO = "mailto"
    TEL = "tel"
    ANCHOR = "anchor"  # "#something" inside the email
    PLACEHOLDER = "placeholder"  # "#", "", "http://", javascript:void(0)
    UNSAFE = "unsafe"  # javascript:, file:, data:, vbscript:
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Destination:
    link: Link
    kind: LinkKind
    host: str = ""
    port: int | None = None
    query: tuple[tuple[str, str], ...] = ()
    fragment_before_query: bool = False
    bad_port: bool = False

    @property
    def utm(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for key, value in self.query:
            if key.lower() in UTM:
                out.setdefault(key.lower(), []).append(value)
        return out

    @property
    def is_utility(self) -> bool:
        return bool(_UTILITY.search(self.link.href) or _UTILITY.search(self.link.text))


def classify(link: Link) -> Destination:
    href = link.href.strip()
    lowered = href.lower()
    if href in ("", "#", "http://", "https://", "about:blank") or \
            lowered.startswith("javascript:void") or lowered == "javascript:;":
        return Destination(link, LinkKind.PLACEHOLDER)
    if _TAGGISH.match(href):
        return Destination(link, LinkKind.MERGE)
    if lowered.startswith(("javascript:", "file:", "data:", "vbscript:")):
        return Destination(link, LinkKind.UNSAFE)
    if lowered.startswith("mailto:"):
        return Destination(link, LinkKind.MAILTO)
    if lowered.startswith(("tel:", "sms:")):
        return Destination(link, LinkKind.TEL)
    if href.startswith("#"):
        return Destination(link, LinkKind.ANCHOR)
    if not lowered.startswith(("http://", "https://", "//")):
        return Destination(link, LinkKind.OTHER)
    fragment_first = "#" in href and "?" in href and href.index("#") < href.index("?")
    try:
        parts = urlsplit(href if not href.startswith("//") else "https:" + href)
        port = parts.port
        bad_port = False
    except ValueError:
        parts = urlsplit(href.split(":", 1)[0] + "://invalid")
        port, bad_port = None, True
    host = (parts.hostname or "").lower()
    query = parts.query
    if fragment_first:
        query = href.split("?", 1)[1]
    pairs = tuple(parse_qsl(query, keep_blank_values=True))
    if any(host == h or host.endswith("." + h) for h in _PLACEHOLDER_HOSTS):
        return Destination(link, LinkKind.PLACEHOLDER, host, port, pairs)
    return Destination(link, LinkKind.WEB, host, port, pairs, fragment_first, bad_port)


def destinations(links: tuple[Link, ...]) -> list[Destination]:
    return [classify(link) for link in links]


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def registrable(host: str) -> str:
    """The last two labels of a host name (three for common second-level country domains such
    as co.uk): close enough to tell an owned site from a third party's."""
    labels = host.lower().strip(".").split(".")
    if len(labels) >= 3 and labels[-2] in ("co", "com", "org", "net", "ac", "gov", "ne", "or") \
            and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def owned(dest: Destination, owned_domains: tuple[str, ...]) -> bool:
    return any(dest.host == d or dest.host.endswith("." + d) for d in owned_domains)


def _sev(config: PreflightConfig, rule: str, default: Severity) -> Severity | None:
    return config.severity(rule, default)


def placeholder_links(dests: list[Destination], config: PreflightConfig) -> RuleResult | None:
    severity = _sev(config, "T9", Severity.FAIL)
    if severity is None:
        return None
    findings = [Finding("T9", severity,
                        "This link goes nowhere: it is a placeholder left from the template."
                        if d.kind is LinkKind.PLACEHOLDER and not d.host else
                        f"This link points at {d.host}, a placeholder domain.",
                        d.link.label(), d.link.text[:80] or None)
                for d in dests if d.kind is LinkKind.PLACEHOLDER]
    return result_of("T9", findings[:40])


def hygiene(dests: list[Destination], forbidden_tags: tuple[str, ...],
            config: PreflightConfig) -> RuleResult | None:
    severity = _sev(config, "D12", Severity.WARN)
    if severity is None:
        return None
    findings: list[Finding] = []
    for d in dests:
        if d.kind is LinkKind.UNSAFE:
            scheme = d.link.href.split(":", 1)[0].lower()
            findings.append(Finding("D12", severity,
                                    f"A {scheme}: link does not work in email and looks like "
                                    "phishing to filters.", d.link.label()))
        elif d.kind is LinkKind.WEB and is_ip(d.host):
            findings.append(Finding("D12", severity, "This link goes to a bare IP address; "
                                    "link to a named host.", d.link.label(), d.host))
        elif d.kind is LinkKind.WEB and (d.bad_port or d.port not in STANDARD_PORTS):
            findings.append(Finding("D12", severity, "This link uses a non-standard port.",
                                    d.link.label(), str(d.port) if d.port else None))
    for tag in forbidden_tags:
        findings.append(Finding("D12", severity,
                                f"The HTML contains <{tag}>; email clients strip it and filters "
                                "distrust it.", f"<{tag}>"))
    return result_of("D12", findings[:40])


def utm_rules(dests: list[Destination], campaign_name: str | None, owned_domains: tuple[str, ...],
              config: PreflightConfig) -> list[RuleResult]:
    """R1 (required parameters on owned links), R2 (clean values), R3 (medium), R4 (no UTM on
    utility links), R6 (utm_campaign is the campaign name)."""
    policy = config.utm
    r1: list[Finding] = []
    r2: list[Finding] = []
    r3: list[Finding] = []
    r4: list[Finding] = []
    r6: list[Finding] = []
    s1 = _sev(config, "R1", Severity.FAIL)
    s2 = _sev(config, "R2", Severity.FAIL)
    s3 = _sev(config, "R3", Severity.FAIL)
    s4 = _sev(config, "R4", Severity.WARN)
    s6 = _sev(config, "R6", Severity.WARN)
    for d in dests:
        utm = d.utm
        if d.kind is not LinkKind.WEB:
            if utm and d.kind in (LinkKind.MAILTO, LinkKind.TEL, LinkKind.ANCHOR) and s4:
                r4.append(Finding("R4", s4, "UTM parameters on a link that is not a landing "
                                  "page.", d.link.label()))
            continue
        is_owned = owned(d, owned_domains)
        if d.is_utility:
            if utm and s4:
                r4.append(Finding("R4", s4, "UTM parameters on an unsubscribe, preference or "
                                  "view-online link; keep them for landing pages.",
                                  d.link.label()))
            continue
        if not is_owned:
            continue
        missing = [p for p in policy.required if p not in utm]
        if missing and s1:
            r1.append(Finding("R1", s1, "Missing " + ", ".join(missing) + ".", d.link.label()))
        if s2:
            counts = Counter(key.lower() for key, _ in d.query if key.lower() in UTM)
            for key, count in sorted(counts.items()):
                if count > 1:
                    r2.append(Finding("R2", s2, f"{key} appears {count} times.", d.link.label()))
            if d.fragment_before_query and utm:
                r2.append(Finding("R2", s2, "The # comes before the ?: analytics never sees "
                                  "these UTM parameters.", d.link.label()))
            for key, values in sorted(utm.items()):
                for value in values[:1]:
                    problem = _value_problem(value, policy.lowercase)
                    if problem:
                        r2.append(Finding("R2", s2, f"{key}={value!r}: {problem}.",
                                          d.link.label(), value))
        mediums = utm.get("utm_medium", [])
        if mediums and s3 and mediums[0].strip().lower() != policy.medium:
            r3.append(Finding("R3", s3, f"utm_medium is {mediums[0]!r}; use "
                              f"{policy.medium!r} so GA4 counts it as email.", d.link.label(),
                              mediums[0]))
        campaigns = utm.get("utm_campaign", [])
        if campaigns and campaign_name and s6 and campaigns[0] != campaign_name:
            r6.append(Finding("R6", s6, f"utm_campaign is {campaigns[0]!r}, the campaign is "
                              f"named {campaign_name!r}.", d.link.label(), campaigns[0]))
    out: list[RuleResult] = []
    for rule, severity, findings in (("R1", s1, r1), ("R2", s2, r2), ("R3", s3, r3),
                                     ("R4", s4, r4), ("R6", s6, r6)):
        if severity is not None:
            out.append(result_of(rule, findings[:40]))
    return out


def _value_problem(value: str, lowercase: bool) -> str | None:
    if _TAGGISH.search(value):
        return None  # filled in by the ESP
    if not value.strip():
        return "empty value"
    if " " in value or "+" in value:
        return "contains a space; use - or _"
    if lowercase and value != value.lower():
        return "not lowercase, so reports split it from the lowercase value"
    if re.search(r"[^A-Za-z0-9._~%-]", value):
        return "contains characters other than letters, digits, - and _"
    return None
