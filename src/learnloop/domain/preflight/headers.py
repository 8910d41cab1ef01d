"""Rules on the envelope: one-click unsubscribe headers, From and Reply-To, the subject, the
message type and the MIME parts."""

from __future__ import annotations

import re

from learnloop.domain.preflight.artifact import Artifact, MessageType, mailbox
from learnloop.domain.preflight.config import PreflightConfig
from learnloop.domain.preflight.findings import (
    Finding,
    RuleResult,
    Severity,
    not_applicable,
    result_of,
)
from learnloop.domain.preflight.links import registrable

_URI = re.compile(r"<([^>]*)>")
TRANSACTIONAL = "transactional mail is exempt"


def message_type(artifact: Artifact, config: PreflightConfig) -> RuleResult | None:
    severity = config.severity("C6", Severity.FAIL)
    if severity is None:
        return None
    if artifact.campaign.message_type is None:
        return result_of("C6", [Finding(
            "C6", severity, "The campaign does not say whether it is marketing or "
            "transactional, so the unsubscribe and address rules were checked as marketing.",
            "campaign.message_type")])
    return result_of("C6", [])


def is_marketing(artifact: Artifact) -> bool:
    """Unknown counts as marketing: the stricter reading, and C6 says so."""
    return artifact.campaign.message_type is not MessageType.TRANSACTIONAL


def one_click(artifact: Artifact, config: PreflightConfig) -> list[RuleResult]:
    """D1: both RFC 8058 headers with an https URI, signed by DKIM when a signature is present.
    D2: a footer link or a mailto-only header is not enough."""
    out: list[RuleResult] = []
    s1 = config.severity("D1", Severity.FAIL)
    s2 = config.severity("D2", Severity.FAIL)
    if not is_marketing(artifact):
        out.extend(not_applicable(rule, TRANSACTIONAL) for rule, s in (("D1", s1), ("D2", s2))
                   if s is not None)
        return out
    email = artifact.email
    header = email.header("List-Unsubscribe")
    post = email.header("List-Unsubscribe-Post")
    uris = [u.strip() for u in _URI.findall(header or "")]
    https = [u for u in uris if u.lower().startswith("https://")]
    d1: list[Finding] = []
    d2: list[Finding] = []
    if s1 is not None:
        if header is None:
            d1.append(Finding("D1", s1, "No List-Unsubscribe header.", "headers"))
        elif not https:
            d1.append(Finding("D1", s1, "List-Unsubscribe has no https URI; one-click needs "
                              "one.", "List-Unsubscribe", header[:200]))
        if post is None:
            d1.append(Finding("D1", s1, "No List-Unsubscribe-Post: List-Unsubscribe=One-Click "
                              "header.", "headers"))
        elif post.replace(" ", "").lower() != "list-unsubscribe=one-click":
            d1.append(Finding("D1", s1, "List-Unsubscribe-Post must be exactly "
                              "'List-Unsubscribe=One-Click'.", "List-Unsubscribe-Post", post))
        for signature in email.headers_named("DKIM-Signature"):
            signed = _dkim_headers(signature)
            missing = [h for h in ("list-unsubscribe", "list-unsubscribe-post")
                       if h not in signed]
            if missing:
                d1.append(Finding("D1", s1, "The DKIM signature does not cover "
                                  + " and ".join(missing) + ".", "DKIM-Signature h="))
        out.append(result_of("D1", d1))
    if s2 is not None:
        if header is not None and uris and not https:
            d2.append(Finding("D2", s2, "List-Unsubscribe offers only "
                              + ", ".join(u.split(":", 1)[0] for u in uris)
                              + "; Gmail's one-click needs an https URI with "
                              "List-Unsubscribe-Post.", "List-Unsubscribe"))
        out.append(result_of("D2", d2))
    return out


def _dkim_headers(signature: str) -> set[str]:
    match = re.search(r"(?:^|;)\s*h\s*=\s*([^;]*)", signature)
    if match is None:
        return set()
    return {h.strip().lower() for h in re.split(r"[:\s]+", match.group(1)) if h.strip()}


def sender(artifact: Artifact, config: PreflightConfig) -> RuleResult | None:
    """C3: a From (and Reply-To) that identifies the sender, on the brand's domains."""
    severity = config.severity("C3", Severity.FAIL)
    if severity is None:
        return None
    email = artifact.email
    findings: list[Finding] = []
    sender_box = mailbox(email.from_)
    if email.from_ is None or not email.from_.strip():
        findings.append(Finding("C3", severity, "The email has no From address.", "from"))
    elif sender_box is None:
        findings.append(Finding("C3", severity, "The From address is not a valid email "
                                "address.", "from", email.from_[:200]))
    domains = tuple(d.lower() for d in config.sender_domains)
    if sender_box is not None:
        if domains and not _on(sender_box.domain, domains):
            findings.append(Finding("C3", severity, f"The From domain {sender_box.domain} is "
                                    "not one of the brand's sending domains ("
                                    + ", ".join(domains) + ").", "from", sender_box.address))
        if re.fullmatch(r"(?:no-?reply|do-?not-?reply)", sender_box.address.split("@")[0],
                        re.IGNORECASE) and is_marketing(artifact):
            findings.append(Finding("C3", Severity.COACH, "A no-reply From tells people their "
                                    "answers are not wanted; use an address someone reads.",
                                    "from", sender_box.address))
    if email.reply_to:
        reply = mailbox(email.reply_to)
        if reply is None:
            findings.append(Finding("C3", severity, "The Reply-To is not a valid email "
                                    "address.", "reply_to", email.reply_to[:200]))
        elif sender_box is not None:
            allowed = domains or (registrable(sender_box.domain),)
            if not _on(reply.domain, allowed) and \
                    registrable(reply.domain) != registrable(sender_box.domain):
                findings.append(Finding("C3", Severity.WARN, f"Replies go to {reply.domain}, "
                                        f"not the sender's domain {sender_box.domain}.",
                                        "reply_to", reply.address))
    return result_of("C3", findings)


def _on(domain: str, domains: tuple[str, ...]) -> bool:
    return any(domain == d or domain.endswith("." + d) for d in domains)


_FAKE_THREAD = re.compile(r"^\s*(?:re|fw|fwd|aw|tr|sv)\s*:", re.IGNORECASE)


def subject(artifact: Artifact, config: PreflightConfig) -> RuleResult | None:
    """C4 (coaching): a subject that fakes a reply or forward, shouts, or is missing."""
    severity = config.severity("C4", Severity.COACH)
    if severity is None:
        return None
    if not is_marketing(artifact):
        return not_applicable("C4", TRANSACTIONAL)
    text = (artifact.email.subject or "").strip()
    findings: list[Finding] = []
    if not text:
        findings.append(Finding("C4", Severity.WARN, "The email has no subject line.",
                                "subject"))
    elif _FAKE_THREAD.match(text):
        findings.append(Finding("C4", severity, "The subject starts like a reply or forward; "
                                "in a marketing email that misleads.", "subject", text))
    else:
        letters = [c for c in text if c.isalpha()]
        if len(letters) >= 8 and sum(c.isupper() for c in letters) / len(letters) > 0.7:
            findings.append(Finding("C4", severity, "The subject is mostly capitals; it reads "
                                    "as shouting and filters notice it.", "subject", text))
        if text.count("!") >= 2:
            findings.append(Finding("C4", severity, "Several exclamation marks in the subject "
                                    "read as hype.", "subject", text))
    return result_of("C4", findings)


def text_part(artifact: Artifact, config: PreflightConfig) -> RuleResult | None:
    severity = config.severity("D7", Severity.WARN)
    if severity is None:
        return None
    email = artifact.email
    if email.html is not None and not (email.text or "").strip():
        return result_of("D7", [Finding("D7", severity, "The email has an HTML part and no "
                                        "plain-text part.", "text part")])
    return result_of("D7", [])


def sender_identity(artifact: Artifact, footer_text: str,
                    config: PreflightConfig) -> RuleResult | None:
    """C8: a From display name, and the brand named in the footer (when brands are set)."""
    severity = config.severity("C8", Severity.WARN)
    if severity is None:
        return None
    box = mailbox(artifact.email.from_)
    findings: list[Finding] = []
    if box is not None and not box.display_name:
        findings.append(Finding("C8", severity, "The From has no display name; show the brand "
                                "or company name.", "from", box.address))
    brands = [b for b in config.brand_names if b.strip()]
    if box is not None and box.display_name and brands and not any(
            b.lower() in box.display_name.lower() for b in brands):
        findings.append(Finding("C8", severity, f"The From name {box.display_name!r} does not "
                                "name the brand (" + ", ".join(brands) + ").", "from"))
    if brands and footer_text and not any(b.lower() in footer_text.lower() for b in brands):
        findings.append(Finding("C8", severity, "The footer does not name the brand ("
                                + ", ".join(brands) + ").", "footer"))
    return result_of("C8", findings)
