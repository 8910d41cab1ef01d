"""The pre-flight rule catalogue: every rule with its severity, skill, reason, fix and source.

The rules and their sources come from the project's rule catalogue for marketing artifacts
(`docs/preflight.md` lists them with the same ids). `kind` says which checker decides a rule:
`static` reads the HTML, headers and metadata; `visual` needs the rendered page; `spam` needs
SpamAssassin; `audience` reads the segment definition; `outside` needs something the artifact
does not hold (DNS, the ESP's settings, account metrics), so the report lists it for the author
to confirm and never marks it passed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from learnloop.domain.preflight.findings import Severity

Kind = Literal["static", "visual", "spam", "audience", "outside"]

F, W, C = Severity.FAIL, Severity.WARN, Severity.COACH

# The skill behind each family of rules (skill ids of the demo pack; a pack's own
# preflight.yaml maps a rule to a lesson, and the lesson names its skill).
AREA_SKILLS = {"D": "deliverability", "C": "compliance", "T": "template-qa",
               "R": "reporting-accuracy", "S": "segmentation"}


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    severity: Severity
    kind: Kind
    why: str
    fix: str
    source: str
    marketing_only: bool = False

    @property
    def skill(self) -> str:
        return AREA_SKILLS[self.id[0]]


def _r(id_: str, title: str, severity: Severity, kind: Kind, why: str, fix: str, source: str,
       *, marketing_only: bool = False) -> Rule:
    return Rule(id_, title, severity, kind, why, fix, source, marketing_only)


RULES: tuple[Rule, ...] = (
    # 4.1 Deliverability and bulk-sender requirements
    _r("D1", "One-click unsubscribe headers", F, "static",
       "Gmail and Yahoo require bulk marketing mail to carry List-Unsubscribe with an https URI "
       "and List-Unsubscribe-Post: List-Unsubscribe=One-Click, both signed by DKIM; without them "
       "mail is throttled or sent to spam.",
       "Turn on one-click unsubscribe in the ESP, or add both headers with an https endpoint "
       "that works without a login, and make sure the DKIM signature covers them.",
       "RFC 8058 section 3; RFC 2369", marketing_only=True),
    _r("D2", "A footer link is not one-click unsubscribe", F, "static",
       "A link in the body, a mailto-only header or a URL without List-Unsubscribe-Post does "
       "not meet Gmail's one-click requirement.",
       "Keep the footer link, and also send the List-Unsubscribe-Post header with an https "
       "List-Unsubscribe URI.",
       "Google email sender guidelines and FAQ", marketing_only=True),
    _r("D3", "Unsubscribes processed within 2 days", W, "outside",
       "Gmail and Yahoo expect an unsubscribe to take effect within two days; CAN-SPAM allows "
       "at most 10 business days.",
       "Confirm that the ESP suppresses an unsubscribed address at once, including addresses "
       "imported from other tools.",
       "Google and Yahoo bulk sender guidelines; FTC CAN-SPAM guide", marketing_only=True),
    _r("D4", "SPF, DKIM and DMARC, aligned with From", F, "outside",
       "Bulk senders (about 5,000 a day to Gmail) need SPF and DKIM, a DMARC record (p=none is "
       "enough) and a From domain aligned with SPF or DKIM.",
       "Check the sending domain's DNS records in the ESP's domain settings; pre-flight does "
       "not look up DNS because it never uses the network.",
       "Google email sender guidelines (support.google.com/mail/answer/81126)"),
    _r("D5", "Spam complaint rate below 0.10%", C, "outside",
       "The user-reported spam rate should stay below 0.1% and never reach 0.3%; it is the "
       "strongest signal mailbox providers use.",
       "Watch Google Postmaster Tools; send only to engaged, consenting contacts.",
       "Google sender FAQ (0.1% target, 0.3% ceiling)"),
    _r("D6", "Yahoo's requirements and reverse DNS", C, "outside",
       "Yahoo mirrors Google's rules and also checks that the sending IP has forward-confirmed "
       "reverse DNS.",
       "Ask the ESP whether the sending IPs have valid PTR records.",
       "Yahoo sender best practices"),
    _r("D7", "A plain-text part", W, "static",
       "Mail with only an HTML part looks like bulk mail to filters (SpamAssassin "
       "MIME_HTML_ONLY) and some readers and watches show only text.",
       "Add a text/plain alternative; most ESPs generate one from the HTML.",
       "SpamAssassin 4 rules (MIME_HTML_ONLY)"),
    _r("D8", "Content spam signals", W, "spam",
       "SpamAssassin's content rules show what makes a draft look like spam. A high score is a "
       "signal to fix the content, not a verdict on deliverability.",
       "Read each rule hit and change the content it points at.",
       "SpamAssassin 4 (local rules, no network tests, no Bayes)"),
    _r("D9", "Hidden preheader text", C, "static",
       "Preheaders hidden with text the colour of the background or a tiny font trip "
       "SpamAssassin's HTML_FONT_LOW_CONTRAST.",
       "Hide the preheader with display:none; max-height:0; overflow:hidden; mso-hide:all "
       "and keep it short.",
       "SpamAssassin 4 rules (HTML_FONT_LOW_CONTRAST)"),
    _r("D10", "Gmail clipping", W, "static",
       "Gmail clips HTML over about 102 KB and hides the rest behind [Message clipped], "
       "including the footer, the unsubscribe link and the open pixel.",
       "Remove unused CSS and markup, shorten the content, or link to the web version.",
       "spamresource.com, What is Gmail clipping (2022)"),
    _r("D11", "Works with images off", W, "static",
       "An image-only email says nothing when images are blocked, and filters score emails "
       "with very little text. The 60/40 ratio is folklore; what matters is real text.",
       "Put the message in live text, with images as support, and give images alt text.",
       "SpamAssassin HTML_IMAGE_ONLY rules; Email on Acid, Does text to image ratio matter"),
    _r("D12", "Link hygiene", W, "static",
       "Links to IP addresses or odd ports, forms, scripts and embedded objects are spam and "
       "phishing signals, and email clients strip scripts and forms anyway.",
       "Link to named https hosts on standard ports; remove forms, scripts, iframes and "
       "objects.",
       "Yahoo postmaster best practices; SpamAssassin NORMAL_HTTP_TO_IP"),
    # 4.2 Compliance
    _r("C1", "Postal address", F, "static",
       "CAN-SPAM requires a valid physical postal address (street address, PO box or "
       "registered private mailbox) in every commercial email.",
       "Add the sender's postal address to the footer, or the ESP's address merge tag.",
       "FTC, CAN-SPAM Act: A Compliance Guide for Business", marketing_only=True),
    _r("C2", "A clear opt-out", F, "static",
       "Every commercial email needs a clear and conspicuous way to opt out that works for "
       "30 days, without a login or a fee.",
       "Add an 'Unsubscribe' link in the footer; a preference centre counts, but say "
       "'Unsubscribe' in the link text.",
       "FTC, CAN-SPAM Act: A Compliance Guide for Business", marketing_only=True),
    _r("C3", "Honest From and Reply-To", F, "static",
       "The From and Reply-To must identify the sender; a From domain that is not the brand's "
       "is misleading and fails DMARC alignment.",
       "Send from an address on the brand's own domain, with a Reply-To on the same brand.",
       "FTC CAN-SPAM guide (header information); Yahoo best practices"),
    _r("C4", "Subject line not deceptive", C, "static",
       "A subject that fakes a reply or forward, or promises what the email does not contain, "
       "breaks CAN-SPAM and trust.",
       "Say what the email is about; no fake RE: or FWD:.",
       "FTC, CAN-SPAM Act: A Compliance Guide for Business", marketing_only=True),
    _r("C5", "Identified as an ad", C, "outside",
       "CAN-SPAM requires commercial email to be identified as an advertisement, clearly; the "
       "form is flexible.",
       "Make sure the email is recognisable as marketing from the brand (sender, design, "
       "footer).",
       "FTC, CAN-SPAM Act: A Compliance Guide for Business", marketing_only=True),
    _r("C6", "Message type declared", F, "static",
       "Transactional mail is exempt from most marketing rules, so every campaign must say "
       "whether it is marketing or transactional; otherwise the checks cannot be right.",
       "Set the campaign's message type to marketing or transactional.",
       "FTC CAN-SPAM guide (transactional or relationship messages)"),
    _r("C7", "Consent for email marketing (GDPR, PECR)", F, "audience",
       "In the EU and UK, marketing email to individuals needs specific consent or a valid soft "
       "opt-in, and every message must offer a simple opt-out.",
       "Include only contacts with email consent (or a recorded soft opt-in) in the audience.",
       "ICO, guide to PECR: electronic mail marketing", marketing_only=True),
    _r("C8", "Sender identity visible", W, "static",
       "PECR forbids concealing the sender; people recognise mail by the From name and the "
       "footer, and complain about mail they do not recognise.",
       "Put the brand or company name in the From display name and in the footer.",
       "ICO PECR guidance (regulation 23); FTC header accuracy"),
    # 4.3 Template QA
    _r("T1", "No sideways scrolling on phones", F, "visual",
       "A layout wider than the screen makes readers scroll sideways or zoom out until text "
       "is unreadable; most marketing email is opened on phones.",
       "Make fixed-width tables fluid (width:100%; max-width:600px) or stack them with a "
       "media query.",
       "Measured on real templates at 375 px"),
    _r("T2", "Alt text on images", F, "static",
       "Without alt text, screen readers read the file name and blocked images leave empty "
       "boxes; informative images need a description.",
       "Give every image an alt attribute: a description for informative images, alt=\"\" for "
       "decorative ones and spacers.",
       "WCAG 2.2 success criterion 1.1.1 Non-text Content"),
    _r("T3", "Readable text size", F, "visual",
       "Body text under 13 px is hard to read on phones and iOS Mail enlarges it, breaking "
       "layouts.",
       "Use 14 to 16 px for body text; keep small sizes to the footer.",
       "stylecampaign.com, Small text and accessibility in email (2018)"),
    _r("T4", "Tap targets big enough", W, "visual",
       "Links smaller than 24 by 24 px are hard to hit with a thumb; the main call to action "
       "should be at least 44 px tall.",
       "Make buttons at least 44 px tall and give standalone links padding or line height.",
       "WCAG 2.2 success criteria 2.5.8 (AA) and 2.5.5 (AAA); Apple HIG"),
    _r("T5", "Preheader", W, "static",
       "The preheader is the preview text beside the subject; without one, clients show the "
       "first text of the email, often 'View in browser'.",
       "Write a 40 to 100 character preheader that adds to the subject, with the key words in "
       "the first 40.",
       "Mailjet email playbook, email preheader"),
    _r("T6", "Viewport meta tag", W, "static",
       "Without <meta name=\"viewport\" content=\"width=device-width\">, some mobile clients "
       "render the email at desktop width and shrink it.",
       "Add the viewport meta tag to the <head>.",
       "Industry practice (Cerberus and other responsive templates)"),
    _r("T7", "Dark mode", C, "static",
       "Gmail on iOS and Outlook invert colours in dark mode; transparent logos and text baked "
       "into images can vanish.",
       "Use explicit bgcolor and hex colours, add prefers-color-scheme styles and Outlook's "
       "[data-ogsc] overrides, and give transparent logos an outline.",
       "html-email-guide, dark mode; Litmus-style inversion tables"),
    _r("T8", "Merge tags with fallbacks", F, "static",
       "A merge tag without a fallback shows 'Hi ,' to contacts missing the field; an "
       "unrendered tag shows its raw syntax to everyone.",
       "Give every personal merge tag a default value, and check the preview shows no raw "
       "tags.",
       "Measured on real templates; ESP documentation on default merge values"),
    _r("T9", "No placeholder links", F, "static",
       "Links to '#', empty links and example.com are left-overs from the template; readers "
       "who click them land nowhere.",
       "Point every link at its real destination before sending.",
       "Measured on real templates (9 of 52 contained them)"),
    # 4.4 Reporting: UTM and naming
    _r("R1", "UTM parameters on owned links", F, "static",
       "Without utm_source, utm_medium and utm_campaign, visits from the email show up as "
       "direct or referral traffic and the campaign's results are lost.",
       "Add utm_source, utm_medium=email and utm_campaign to every link to your own sites; "
       "use utm_content to tell CTAs apart.",
       "Google Analytics Help, URL builders: collect campaign data with custom URLs"),
    _r("R2", "Clean UTM values", F, "static",
       "UTM values are case-sensitive: 'Email' and 'email' are two mediums in the report. "
       "Spaces, duplicated parameters and a # before the query break the tracking.",
       "Use lowercase values joined with - or _, each parameter once, the query before any #.",
       "GA4 campaign URL guidance; UTM builder conventions"),
    _r("R3", "utm_medium=email", F, "static",
       "GA4's default channel grouping recognises email traffic by utm_medium=email; any other "
       "value lands in 'Unassigned'.",
       "Set utm_medium to email on every email link.",
       "GA4 default channel grouping"),
    _r("R4", "No UTM tags on utility links", W, "static",
       "UTM tags on unsubscribe, preference, mailto or other non-landing links add noise to "
       "reports and can overwrite a visitor's real source.",
       "Keep UTM parameters for links to landing pages.",
       "UTM builder conventions (no UTM on internal links)"),
    _r("R5", "Campaign naming convention", F, "static",
       "A campaign name that breaks the team's pattern splits the reports across ESP and "
       "analytics and cannot be filtered by date, channel or offer.",
       "Rename the campaign to the team's pattern: lowercase, one delimiter, tokens in order.",
       "Campaign naming conventions (lksy.org; marqeable.com)"),
    _r("R6", "utm_campaign matches the campaign name", W, "static",
       "When utm_campaign differs from the campaign's name, analytics and ESP reports cannot "
       "be joined.",
       "Use the campaign name as utm_campaign on every link.",
       "Campaign naming conventions"),
    # 4.5 Segmentation and audience
    _r("S1", "Consent for this channel", F, "audience",
       "Only contacts who opted in to email (or a valid soft opt-in) may receive marketing "
       "email; purchased lists are never allowed.",
       "Add an include condition on email consent, such as email_consent in (granted, "
       "soft_opt_in).",
       "ICO PECR guidance; Yahoo best practices", marketing_only=True),
    _r("S2", "Suppressions honoured", F, "audience",
       "Mailing unsubscribed, hard-bounced or complained contacts breaks the law, hurts the "
       "sending reputation and triggers more complaints.",
       "Exclude unsubscribed, hard-bounced and complained contacts and every suppression list.",
       "FTC opt-out rule; Yahoo complaint feedback loop"),
    _r("S3", "Engagement sunset", W, "audience",
       "Contacts who have not engaged for a long time rarely open, often complain, and can be "
       "spam traps; excluding them is the main lever on the spam rate.",
       "Exclude contacts with no opens or clicks in the last 12 months, or re-permission them.",
       "Google sender FAQ (spam rate); re-engagement practice", marketing_only=True),
    _r("S4", "Audience sanity", W, "audience",
       "A targeted offer sent to everyone, or test addresses in a production send, are common "
       "and costly mistakes.",
       "Narrow the audience to the people the offer is for; remove seed and test addresses.",
       "Team practice", marketing_only=True),
    _r("S5", "Frequency as promised", C, "outside",
       "Sending more often than people signed up for drives complaints.",
       "Check the send schedule against what the list promised at sign-up.",
       "Yahoo best practices (frequency)", marketing_only=True),
)

BY_ID: Mapping[str, Rule] = MappingProxyType({rule.id: rule for rule in RULES})


def rule(rule_id: str) -> Rule:
    return BY_ID[rule_id]
