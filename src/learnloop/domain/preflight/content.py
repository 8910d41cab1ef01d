"""Rules on the email's content: postal address, opt-out, size, images, preheader, head,
dark mode, merge tags, placeholder text, and the campaign's name."""

from __future__ import annotations

import re

from learnloop.domain.preflight.artifact import Artifact
from learnloop.domain.preflight.config import PatternError, PreflightConfig, naming_regex
from learnloop.domain.preflight.findings import (
    Finding,
    RuleResult,
    Severity,
    not_applicable,
    result_of,
)
from learnloop.domain.preflight.headers import TRANSACTIONAL, is_marketing
from learnloop.domain.preflight.links import Destination, LinkKind
from learnloop.domain.preflight.merge_tags import MergeTag, system_role
from learnloop.domain.preflight.page import Page, squash

_STREET = (r"street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|way|court|ct|place|pl"
           r"|square|sq|parkway|pkwy|highway|hwy|terrace|crescent|close|row|suite|ste|floor")
ADDRESS_PATTERNS = (
    # 123 Main Street, 1234 N. Elm Rd., 5 Hill Close
    re.compile(r"\b\d{1,6}[A-Za-z]?\s+(?:[NSEW]\.?\s+|north\s+|south\s+|east\s+|west\s+)?"
               r"(?:[A-Za-z0-9'’.-]+\s+){0,4}(?:" + _STREET + r")\b\.?", re.IGNORECASE),
    re.compile(r"\bP\.?\s?O\.?\s*Box\s+\d+", re.IGNORECASE),  # PO Box 42
    re.compile(r"\b[A-Z]{2}\s+\d{5}(?:-\d{4})?\b"),  # US state + ZIP: CA 94107
    re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s+\d[A-Z]{2}\b"),  # UK postcode: SW1A 1AA
    re.compile(r"\b[A-Z]\d[A-Z]\s?\d[A-Z]\d\b"),  # Canadian postcode: K1A 0B1
    re.compile(r"\b[\wÀ-ÿ-]+(?:straße|strasse|str\.|weg|platz|gasse|allee)\s+\d+", re.IGNORECASE),
    re.compile(r"\b\d{1,4},?\s+(?:rue|avenue|boulevard|place|via|calle|plaza)\s+\w+",
               re.IGNORECASE),
)
_OPT_OUT_WORDS = re.compile(r"unsubscribe|opt[ -]?out|abmelden|désabonner|desabonner|désinscri"
                            r"|darse de baja|cancelar suscripci|afmelden|annulla iscrizione",
                            re.IGNORECASE)
_PREFERENCE_WORDS = re.compile(r"preferences|manage (?:your )?(?:email|subscription|notification)"
                               r"|email settings|update your profile|stop receiving",
                               re.IGNORECASE)
_PLACEHOLDER_TEXT = re.compile(
    r"\[(?:company|product|your|insert|brand|client|customer|name|address|logo|link|url|"
    r"first name|last name)[^\]\n]{0,40}\]|lorem ipsum|\bXXX+\b|\bTBD\b|\bTODO\b",
    re.IGNORECASE)
_DARK = re.compile(r"prefers-color-scheme|color-scheme|\[data-ogsc\]|\[data-ogsb\]|"
                   r"supported-color-schemes", re.IGNORECASE)


def _sev(config: PreflightConfig, rule: str, default: Severity) -> Severity | None:
    return config.severity(rule, default)


def postal_address(artifact: Artifact, page: Page, tags: list[MergeTag],
                   config: PreflightConfig) -> RuleResult | None:
    severity = _sev(config, "C1", Severity.FAIL)
    if severity is None:
        return None
    if not is_marketing(artifact):
        return not_applicable("C1", TRANSACTIONAL)
    if any(system_role(t) == "postal_address" for t in tags):
        return result_of("C1", [])
    text = page.text if artifact.email.html is not None else (artifact.email.text or "")
    if any(p.search(text) for p in ADDRESS_PATTERNS):
        return result_of("C1", [])
    return result_of("C1", [Finding(
        "C1", severity, "No postal address found in the email. If it is inside an image, "
        "confirm it with an override; otherwise add it to the footer.", "footer")])


def opt_out(artifact: Artifact, page: Page, dests: list[Destination], tags: list[MergeTag],
            config: PreflightConfig) -> RuleResult | None:
    severity = _sev(config, "C2", Severity.FAIL)
    if severity is None:
        return None
    if not is_marketing(artifact):
        return not_applicable("C2", TRANSACTIONAL)
    roles = {system_role(t) for t in tags}
    worded = [d for d in dests if _OPT_OUT_WORDS.search(d.link.text)
              or _OPT_OUT_WORDS.search(d.link.href)]
    preference = [d for d in dests if _PREFERENCE_WORDS.search(d.link.text)
                  or _PREFERENCE_WORDS.search(d.link.href)]
    tag_links = [d for d in dests if d.kind is LinkKind.MERGE
                 and any(system_role(t) in ("unsubscribe", "preferences")
                         for t in tags if t.raw in d.link.href)]
    if worded:
        bad = [d for d in worded if d.kind in (LinkKind.PLACEHOLDER, LinkKind.UNSAFE)]
        if bad and len(bad) == len(worded):
            return result_of("C2", [Finding("C2", severity, "The unsubscribe link goes nowhere "
                                            "yet.", bad[0].link.label())])
        return result_of("C2", [])
    if "unsubscribe" in roles or tag_links or "unsubscribe" in page.esp_tags:
        return result_of("C2", [Finding("C2", Severity.COACH, "The opt-out is the ESP's merge "
                                        "tag; make sure its link text says 'Unsubscribe'.",
                                        "footer")])
    if preference or "preferences" in roles:
        where = preference[0].link.label() if preference else "footer"
        return result_of("C2", [Finding("C2", Severity.COACH, "The only opt-out is a preference "
                                        "centre; it counts, but say 'Unsubscribe' in the link "
                                        "text so no one has to hunt for it.", where)])
    return result_of("C2", [Finding("C2", severity, "No unsubscribe link found in the email.",
                                    "footer")])


def size(artifact: Artifact, config: PreflightConfig) -> RuleResult | None:
    """D10 warns near the limit and fails past it; an organisation's severity replaces both."""
    severity = _sev(config, "D10", Severity.WARN)
    if severity is None or artifact.email.html is None:
        return None
    kb = artifact.email.html_bytes / 1024
    limits = config.thresholds
    fail = severity if "D10" in config.overrides else Severity.FAIL
    if kb >= limits.clip_fail_kb:
        return result_of("D10", [Finding("D10", fail, f"The HTML is {kb:.0f} KB; Gmail clips "
                                         f"above about {limits.clip_fail_kb:.0f} KB and hides "
                                         "the footer and unsubscribe link.", "HTML size",
                                         f"{kb:.1f} KB")])
    if kb >= limits.clip_warn_kb:
        return result_of("D10", [Finding("D10", severity, f"The HTML is {kb:.0f} KB, close to "
                                         f"Gmail's clipping limit of about "
                                         f"{limits.clip_fail_kb:.0f} KB; link tracking adds "
                                         "more.", "HTML size", f"{kb:.1f} KB")])
    return result_of("D10", [])


def images(page: Page, config: PreflightConfig) -> list[RuleResult]:
    """T2 (alt attributes) and D11 (the email says something with images off)."""
    out: list[RuleResult] = []
    s2 = _sev(config, "T2", Severity.FAIL)
    if s2 is not None:
        findings = []
        for image in page.images:
            if image.alt is None and not image.is_pixel:
                what = "This linked image has no alt text, so the link has no name." \
                    if image.in_link else "This image has no alt attribute."
                findings.append(Finding("T2", s2, what, image.label(), image.src[:120] or None))
        out.append(result_of("T2", findings[:40]))
    s11 = _sev(config, "D11", Severity.WARN)
    if s11 is not None:
        real = [i for i in page.images if not i.is_pixel]
        words = len(page.text.split())
        findings = []
        if real and words < 25:
            findings.append(Finding("D11", s11, f"With images off the email shows only {words} "
                                    f"words beside {len(real)} images; put the message in live "
                                    "text.", "body"))
        out.append(result_of("D11", findings))
    return out


def hidden_text(page: Page, config: PreflightConfig) -> RuleResult | None:
    severity = _sev(config, "D9", Severity.COACH)
    if severity is None:
        return None
    findings = []
    for hidden in page.hidden:
        style = hidden.style.lower().replace(" ", "")
        if "display:none" not in style or "mso-hide:all" not in style:
            findings.append(Finding("D9", severity, "Hidden text without display:none and "
                                    "mso-hide:all; filters read text hidden by colour or size "
                                    "as a trick, and Outlook may show it.",
                                    f"hidden element ({hidden.classes or 'no class'})",
                                    hidden.text[:80]))
        elif len(hidden.text) > 200:
            findings.append(Finding("D9", severity, f"{len(hidden.text)} characters of hidden "
                                    "text; keep the hidden preheader short.",
                                    f"hidden element ({hidden.classes or 'no class'})"))
    return result_of("D9", findings[:10])


def preheader_text(artifact: Artifact, page: Page) -> str | None:
    if artifact.email.preheader is not None:
        return artifact.email.preheader.strip()
    for hidden in page.hidden:
        if re.search(r"pre-?header|preview", hidden.classes, re.IGNORECASE) or \
                hidden is page.hidden[0]:
            return hidden.text
    return None


def preheader(artifact: Artifact, page: Page, config: PreflightConfig) -> RuleResult | None:
    severity = _sev(config, "T5", Severity.WARN)
    if severity is None:
        return None
    text = preheader_text(artifact, page)
    limits = config.thresholds
    findings = []
    if not text:
        first = " ".join(page.text.split()[:8])
        findings.append(Finding("T5", severity, "No preheader; inboxes will show the first "
                                f"text of the email instead: {first!r}.", "preheader"))
    else:
        length = len(text)
        if length < limits.preheader_min:
            findings.append(Finding("T5", severity, f"The preheader is {length} characters; "
                                    f"aim for {limits.preheader_min} to {limits.preheader_max}.",
                                    "preheader", text[:120]))
        elif length > limits.preheader_max + 40:
            findings.append(Finding("T5", Severity.COACH, f"The preheader is {length} "
                                    "characters; only the first 40 to 100 show, so front-load "
                                    "them.", "preheader", text[:120]))
        subject_text = (artifact.email.subject or "").strip().lower()
        if subject_text and squash(text).lower() == subject_text:
            findings.append(Finding("T5", severity, "The preheader repeats the subject; use it "
                                    "to add something.", "preheader", text[:120]))
    return result_of("T5", findings)


def viewport(page: Page, config: PreflightConfig) -> RuleResult | None:
    severity = _sev(config, "T6", Severity.WARN)
    if severity is None:
        return None
    for meta in page.metas:
        if meta.get("name", "").lower() == "viewport" and \
                "width=device-width" in meta.get("content", "").replace(" ", "").lower():
            return result_of("T6", [])
    return result_of("T6", [Finding("T6", severity, "No <meta name=\"viewport\" "
                                    "content=\"width=device-width\"> in the head.", "<head>")])


def dark_mode(page: Page, config: PreflightConfig) -> RuleResult | None:
    severity = _sev(config, "T7", Severity.COACH)
    if severity is None:
        return None
    declared = _DARK.search(page.styles) or any(
        m.get("name", "").lower() in ("color-scheme", "supported-color-schemes")
        for m in page.metas)
    if declared:
        return result_of("T7", [])
    return result_of("T7", [Finding("T7", severity, "Nothing in the email prepares it for dark "
                                    "mode; check how the logo and colours look inverted.",
                                    "<head> styles")])


def merge_tags(artifact: Artifact, tags: list[MergeTag], unresolved: tuple[MergeTag, ...],
               config: PreflightConfig) -> RuleResult | None:
    """T8. A field without a fallback fails in marketing mail, where contact data is often
    missing; in transactional mail the sending application fills its own fields (an order
    number, a reset link), so it is a tip there."""
    severity = _sev(config, "T8", Severity.FAIL)
    if severity is None:
        return None
    gap = severity if is_marketing(artifact) else Severity.COACH
    findings = []
    seen: set[str] = set()
    for tag in tags:
        if tag.needs_fallback and tag.raw not in seen:
            seen.add(tag.raw)
            findings.append(Finding("T8", gap, f"{tag.raw} has no fallback; contacts "
                                    f"without {tag.name} see a gap.", f"line {tag.line}",
                                    tag.raw))
    for tag in unresolved:
        if tag.raw not in seen:
            seen.add(tag.raw)
            findings.append(Finding("T8", severity, f"{tag.raw} could not be filled in for the "
                                    "preview; check the syntax.", f"line {tag.line}", tag.raw))
    return result_of("T8", findings[:40])


def placeholder_text(page: Page, severity: Severity) -> list[Finding]:
    found: list[Finding] = []
    for match in _PLACEHOLDER_TEXT.finditer(page.text):
        found.append(Finding("T9", severity, "Placeholder text left from the template.", "body",
                             match.group(0)))
        if len(found) >= 10:
            break
    return found


def naming(artifact: Artifact, config: PreflightConfig) -> RuleResult | None:
    severity = _sev(config, "R5", Severity.FAIL)
    if severity is None:
        return None
    name = artifact.campaign.name
    if not name or not name.strip():
        return result_of("R5", [Finding("R5", severity, "The campaign has no name.",
                                        "campaign.name")])
    try:
        pattern = naming_regex(config.naming_pattern)
    except PatternError as exc:
        return result_of("R5", [Finding("R5", Severity.WARN, f"The organisation's naming "
                                        f"pattern is broken: {exc}.", "settings")])
    findings = []
    if len(name) > config.naming_max:
        findings.append(Finding("R5", severity, f"The name is {len(name)} characters; the limit "
                                f"is {config.naming_max}.", "campaign.name", name))
    if not pattern.fullmatch(name):
        hint = ""
        if name != name.lower():
            hint = " It has capitals."
        elif " " in name:
            hint = " It has spaces."
        findings.append(Finding("R5", severity, f"{name!r} does not follow the pattern "
                                f"{config.naming_pattern}.{hint}", "campaign.name", name))
    return result_of("R5", findings)
