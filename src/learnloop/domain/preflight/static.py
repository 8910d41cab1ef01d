"""Every rule that reads the artifact itself: HTML, headers, links, metadata.

`static_results` runs them all on the source HTML; visual, spam and audience rules come from
their own modules, and rules that need the outside world are listed for the author to confirm.
"""

from __future__ import annotations

from learnloop.domain.preflight import content, headers, links
from learnloop.domain.preflight.artifact import Artifact, mailbox
from learnloop.domain.preflight.catalogue import RULES
from learnloop.domain.preflight.config import PreflightConfig
from learnloop.domain.preflight.findings import (
    RuleResult,
    Severity,
    not_applicable,
    not_run,
    result_of,
)
from learnloop.domain.preflight.merge_tags import MergeTag
from learnloop.domain.preflight.page import Page

OUTSIDE_REASONS = {
    "D3": "needs the ESP's unsubscribe settings, which are not part of the artifact",
    "D4": "needs a DNS lookup of the sending domain; pre-flight never uses the network",
    "D5": "needs the account's spam-complaint rate (Google Postmaster Tools)",
    "D6": "needs the sending IPs' reverse DNS; pre-flight never uses the network",
    "C5": "needs a person to judge whether the email is recognisable as an ad",
    "S5": "needs the list's promised frequency and the send history",
}


def owned_domains(artifact: Artifact, config: PreflightConfig) -> tuple[str, ...]:
    """The organisation's owned sites: configured, else the From address's domain."""
    if config.utm.owned_domains:
        return tuple(d.lower().lstrip(".") for d in config.utm.owned_domains)
    sender = mailbox(artifact.email.from_)
    return (links.registrable(sender.domain),) if sender else ()


def static_results(artifact: Artifact, page: Page, tags: list[MergeTag],
                   unresolved: tuple[MergeTag, ...], config: PreflightConfig) -> list[RuleResult]:
    dests = links.destinations(page.links)
    out: list[RuleResult | None] = [
        headers.message_type(artifact, config),
        *headers.one_click(artifact, config),
        headers.text_part(artifact, config),
        content.hidden_text(page, config),
        content.size(artifact, config),
        links.hygiene(dests, page.forbidden, config),
        content.postal_address(artifact, page, tags, config),
        content.opt_out(artifact, page, dests, tags, config),
        headers.sender(artifact, config),
        headers.subject(artifact, config),
        headers.sender_identity(artifact, page.footer_text, config),
        content.preheader(artifact, page, config),
        content.viewport(page, config),
        content.dark_mode(page, config),
        content.merge_tags(artifact, tags, unresolved, config),
        content.naming(artifact, config),
        *content.images(page, config),
        *links.utm_rules(dests, artifact.campaign.name, owned_domains(artifact, config), config),
    ]
    placeholder = links.placeholder_links(dests, config)
    severity = config.severity("T9", Severity.FAIL)
    if placeholder is not None and severity is not None:
        extra = content.placeholder_text(page, severity)
        if extra:
            placeholder = result_of("T9", [*placeholder.findings, *extra])
    out.append(placeholder)
    marketing = headers.is_marketing(artifact)
    for rule in RULES:
        if rule.kind != "outside" or config.severity(rule.id, rule.severity) is None:
            continue
        if rule.marketing_only and not marketing:
            out.append(not_applicable(rule.id, headers.TRANSACTIONAL))
        else:
            out.append(not_run(rule.id, OUTSIDE_REASONS[rule.id]))
    return [r for r in out if r is not None]
