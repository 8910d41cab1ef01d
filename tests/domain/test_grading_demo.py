"""The free-text grader on the demo pack's five free-text families, with realistic answers."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from learnloop.demo import DEMO_PACK
from learnloop.domain.content import variants
from learnloop.domain.content.model import ItemFamily, ItemType, Pack
from learnloop.domain.errors import InvalidInput
from learnloop.domain.grading import Grade, Response, grade
from learnloop.packs.reader import read_pack

FREE_TEXT_FAMILIES = ["product-update-type", "explain-one-click", "explain-open-rate",
                      "sunset-plan", "qa-unfamiliar-build"]


@pytest.fixture(scope="module")
def pack() -> Pack:
    reading = read_pack(DEMO_PACK)
    assert reading.pack is not None
    return reading.pack


def family_of(pack: Pack, family_id: str) -> ItemFamily:
    family = pack.family(family_id)
    assert family is not None
    assert family.rubric is not None
    return family


def answer(pack: Pack, family_id: str, text: str, variant: int = 0) -> Grade:
    family = family_of(pack, family_id)
    return grade(family, variants.make_item(family, variant), Response(text=text))


def every_variant(pack: Pack) -> list[tuple[ItemFamily, int]]:
    return [(family_of(pack, f), v) for f in FREE_TEXT_FAMILIES
            for v in range(variants.variant_count(family_of(pack, f)))]


def test_the_demo_pack_has_these_five_free_text_families(pack: Pack) -> None:
    assert sorted(f.id for f in pack.families if f.type is ItemType.FREE_TEXT) == sorted(
        FREE_TEXT_FAMILIES)


# -- reference answers and copies of the question ---------------------------------------------


def test_every_reference_answer_passes_in_every_variant(pack: Pack) -> None:
    for family, variant in every_variant(pack):
        assert family.rubric is not None
        item = variants.make_item(family, variant)
        for reference in family.rubric.reference_answers:
            result = grade(family, item, Response(text=reference))
            assert result.success, (family.id, variant, result)
            assert result.score >= family.rubric.pass_score
            assert result.misconceptions == ()
            assert result.criteria_missed == ()
            assert result.correct_answer == " ".join(
                family.rubric.reference_answers[0].split())


@pytest.mark.parametrize("suffix", ["", "?", " ?", "\n\nWhat do you think?"])
def test_the_stem_pasted_back_fails_with_zero(pack: Pack, suffix: str) -> None:
    for family, variant in every_variant(pack):
        item = variants.make_item(family, variant)
        result = grade(family, item, Response(text=item.stem + suffix))
        assert (result.score, result.success, result.criteria_met) == (0.0, False, ()), (
            family.id, variant)
        assert result.misconceptions == ()
        assert result.feedback[0].startswith("Most of this answer repeats the question.")


def _not_true(reference: str) -> str:
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(reference.split()))
    return " ".join(f"It is not true that {s[0].lower()}{s[1:]}" for s in sentences if s)


def test_every_reference_answer_denied_sentence_by_sentence_fails(pack: Pack) -> None:
    for family, variant in every_variant(pack):
        assert family.rubric is not None
        item = variants.make_item(family, variant)
        for reference in family.rubric.reference_answers:
            result = grade(family, item, Response(text=_not_true(reference)))
            assert not result.success, (family.id, variant, result)
            assert result.score < 0.6


def test_invalid_text_is_refused_naming_answer_text(pack: Pack) -> None:
    for text in ["", "   ", "x" * 2001, "a footer link\x00"]:
        with pytest.raises(InvalidInput) as raised:
            answer(pack, "explain-one-click", text)
        assert [p.field for p in raised.value.problems] == ["answer.text"]


# -- realistic answers ------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    family: str
    kind: str  # good | partial | wrong | denied | guarded
    text: str
    met: tuple[str, ...] = ()  # criteria that must be met (all when kind is good)
    misconceptions: tuple[str, ...] = ()
    variant: int = 0

    def __str__(self) -> str:
        return f"{self.family}-{self.kind}"


CASES = [
    # explain-one-click
    Case("explain-one-click", "good",
         "Tell them the footer link is fine to keep but it doesn't satisfy Gmail and Yahoo on its "
         "own. Since this is promotional bulk mail, every message needs a List-Unsubscribe "
         "header plus List-Unsubscribe-Post for one-click unsubscribe (RFC 8058), with an https "
         "endpoint, DKIM-signed, that works without a login, and opt-outs honoured within two "
         "days."),
    Case("explain-one-click", "good",
         "This is marketing mail, so Gmail and Yahoo require one-click unsubscribe: the "
         "List-Unsubscribe header with an https URL plus List-Unsubscribe-Post, signed with "
         "DKIM. The footer link alone is not enough, though it should stay. It does not matter "
         "which team sends it, and I don't think the release-notes format changes anything.",
         variant=1),
    Case("explain-one-click", "partial",
         "They also need one-click unsubscribe: add the List-Unsubscribe and "
         "List-Unsubscribe-Post headers.", met=("headers",)),
    Case("explain-one-click", "partial",
         "A footer link alone won't do for Gmail. Since it is bulk marketing mail, add an "
         "unsubscribe header.", met=("footer-not-enough", "marketing-type"), variant=2),
    Case("explain-one-click", "wrong",
         "That's fine, the footer link covers it. Product updates are transactional anyway, so "
         "Gmail's rules don't apply.", misconceptions=("footer-link-enough",)),
    Case("explain-one-click", "denied",
         "We don't need List-Unsubscribe or one-click headers for this. It is transactional "
         "mail, not bulk marketing, and there's no need for DKIM or https here."),
    Case("explain-one-click", "denied",
         "This is not marketing mail, so we do not need one-click unsubscribe headers or "
         "List-Unsubscribe-Post. The footer link is enough, and there is no need for https or "
         "DKIM.", misconceptions=("footer-link-enough",)),
    Case("explain-one-click", "guarded",
         "It's a myth that a footer link is enough. The footer link is not sufficient for Gmail: "
         "marketing mail needs List-Unsubscribe and List-Unsubscribe-Post one-click headers, "
         "signed with DKIM.", met=("headers", "footer-not-enough", "marketing-type", "details")),
    # product-update-type
    Case("product-update-type", "good",
         "Whatever engineering calls it, what counts is the main purpose. With new features and "
         "an Upgrade to Pro button as the call to action, the email is promotional, i.e. "
         "commercial mail. So it can only go to people who consented or qualify for the soft "
         "opt-in, unsubscribed users must be suppressed, and it needs an unsubscribe link with "
         "one-click headers. If they want a service notice, split it: a plain notice on its "
         "own, and the upgrade pitch in a separate marketing email."),
    Case("product-update-type", "good",
         "An invoice is transactional, but a big add-on banner at the top changes what the "
         "email is mainly for, so as designed it is a marketing message. It could then only go "
         "to people with consent, and never to anyone who unsubscribed. Keep the invoice email "
         "about the invoice (a small mention below the totals is fine) and promote the add-on "
         "in its own campaign.", variant=1),
    Case("product-update-type", "partial",
         "The promotion makes this a marketing email, so it needs consent and an unsubscribe "
         "link.", met=("classification", "consequences")),
    Case("product-update-type", "wrong",
         "It's transactional because they call it a product update, so it can go to everyone "
         "including unsubscribed users.", misconceptions=("message-type-misjudged",)),
    Case("product-update-type", "denied",
         "The primary purpose does not matter and this is not marketing. There is no need for "
         "consent or an unsubscribe link, and no need to split it or separate anything."),
    Case("product-update-type", "guarded",
         "It is not transactional just because they call it a product update: its main purpose "
         "is promotion, so it is marketing and needs consent and an unsubscribe link; move the "
         "upsell to a separate email.",
         met=("primary-purpose", "classification", "consequences", "split"), variant=2),
    # explain-open-rate
    Case("explain-open-rate", "good",
         "The 52% doesn't tell us much: Apple's Mail Privacy Protection preloads images, so the "
         "pixel fires for lots of people who never looked at it, and the open rate is inflated. "
         "Report what people did: 96 clicks out of 8,000 delivered is a 1.2% click rate, and 41 "
         "registrations is about 0.5%. Opens can stay in the report as a rough trend with that "
         "caveat."),
    Case("explain-open-rate", "good",
         "Sixty-one percent opened is not the same as sixty-one percent read it. Apple Mail's "
         "privacy protection fetches the tracking pixel for its users automatically, so the "
         "open rate overstates readership. The honest number is clicks: 450 / 30,000 = 1.5% "
         "clicked through to the release notes.", variant=1),
    Case("explain-open-rate", "partial",
         "Opens are inflated, so the 52% is misleading; report clicks instead.",
         met=("better-metric", "caveat")),
    Case("explain-open-rate", "wrong",
         "Great result: 52% of people read it, which shows the email worked.",
         misconceptions=("mpp-open-rate-trusted",)),
    Case("explain-open-rate", "denied",
         "It is not true that Apple Mail Privacy Protection inflates opens. We don't need "
         "clicks or registrations, and there is no need to divide by delivered."),
    Case("explain-open-rate", "guarded",
         "The open rate doesn't prove that people read it: Apple MPP loads the pixel for many "
         "users, so opens are inflated. Report clicks over delivered instead: 160 / 20,000 is "
         "0.8%.", met=("mpp", "better-metric", "denominator", "caveat"), variant=2),
    # sunset-plan
    Case("sunset-plan", "good",
         "Count someone as active if they clicked, purchased or logged in. Anyone inactive for "
         "180 days drops to a monthly digest; after a year with no activity they get a short "
         "win-back series asking if they still want to hear from us, and people who ignore it "
         "are suppressed. Mailing dead addresses drives up complaints and hits spam traps, "
         "which hurts our sender reputation."),
    Case("sunset-plan", "good",
         "Engagement = a click or an order, not opens (Apple inflates those). Contacts with no "
         "click or order in 9 months get two re-permission emails; whoever doesn't confirm is "
         "removed from the list. Dormant addresses go stale and become spam traps, which hurts "
         "deliverability. We don't need a new ESP for any of this.", variant=2),
    Case("sunset-plan", "good",
         "We shouldn't keep mailing people forever. Rule: no click or purchase for 90 days -> "
         "fewer sends; no click or purchase for 12 months -> re-engagement email; no response "
         "-> suppress. Otherwise our reputation suffers from complaints.", variant=1),
    Case("sunset-plan", "partial",
         "Send a re-engagement email to inactive subscribers and remove the ones who don't "
         "respond.", met=("reengage", "suppress")),
    Case("sunset-plan", "wrong",
         "Keep mailing them forever, they might still buy one day.",
         misconceptions=("no-sunset-policy",)),
    Case("sunset-plan", "wrong",
         "Anyone with no opens in 12 months gets a win-back email and is then suppressed to "
         "protect our reputation.", misconceptions=("mpp-opens-define-engaged",)),
    Case("sunset-plan", "denied",
         "Clicks and purchases don't define engagement. We never suppress anyone and we don't "
         "send re-engagement emails; complaints and spam traps are not a concern.",
         misconceptions=("no-sunset-policy",)),
    Case("sunset-plan", "guarded",
         "Don't keep mailing them forever. Engagement is not based on opens, because Apple "
         "inflates them: use clicks and purchases. After 6 months without either, send a "
         "re-engagement email; if they don't click it, suppress them to protect reputation.",
         met=("signals", "windows", "reengage", "suppress", "why")),
    # qa-unfamiliar-build
    Case("qa-unfamiliar-build", "good",
         "First a test send with real subscriber data so I can see the personalisation fills in "
         "and there's no leftover template code. Then I'd click through every link, docs and "
         "screenshots, to catch 404s or staging URLs. I'd check alt text and view it with "
         "images turned off, since many clients block images. I'd look at it on a phone at 375 "
         "px because long code snippets tend to overflow. Finally check the size so that Gmail "
         "doesn't clip it at 102 KB and hide the unsubscribe link."),
    Case("qa-unfamiliar-build", "good",
         "1. Merged test to myself with real data: does the greeting fall back when there is no "
         "first name? 2. Test every link, including the three calendar links. 3. Alt text on "
         "the speaker photos, and a look with images off. 4. Phone check at 320 px for overflow "
         "and tap targets. 5. HTML size under Gmail's 102 KB clipping limit.", variant=2),
    Case("qa-unfamiliar-build", "partial",
         "I'd check it on mobile and click all the links.", met=("links", "mobile")),
    Case("qa-unfamiliar-build", "wrong",
         "Their preview is enough, so there is no need to test it again; just schedule it.",
         misconceptions=("unmerged-preview-trusted",)),
    Case("qa-unfamiliar-build", "denied",
         "There is no need to check merge tags or fallbacks, no need to click the links, and "
         "alt text doesn't matter. Mobile rendering and the 102 KB clipping limit are not a "
         "concern.", misconceptions=("unmerged-preview-trusted",)),
    Case("qa-unfamiliar-build", "guarded",
         "Don't assume the partner's testing is enough: send a merged test, click every link, "
         "check alt text, look at it on a phone and check the size against Gmail clipping.",
         met=("merged", "links", "images", "mobile", "size"), variant=1),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_realistic_answers(pack: Pack, case: Case) -> None:
    result = answer(pack, case.family, case.text, case.variant)
    rubric = family_of(pack, case.family).rubric
    assert rubric is not None
    assert set(case.met) <= set(result.criteria_met), result
    assert result.misconceptions == case.misconceptions, result
    if case.kind in ("good", "guarded"):
        assert result.success, result
        assert result.score >= rubric.pass_score
        assert result.feedback[0].startswith("Good: ")
    else:
        assert not result.success, result
        assert result.score < rubric.pass_score
        assert [f"Missing: {c.description}" for c in rubric.criteria
                if c.id in result.criteria_missed] == [
            line for line in result.feedback if line.startswith("Missing: ")]
    if case.kind == "good":
        assert result.criteria_missed == ()
    if case.kind == "partial":
        assert result.criteria_met == case.met
        assert 0.2 < result.score < rubric.pass_score
    if case.kind == "denied":
        assert result.score < 0.3


def test_every_family_has_a_good_a_partial_and_a_wrong_answer() -> None:
    for family_id in FREE_TEXT_FAMILIES:
        kinds = {c.kind for c in CASES if c.family == family_id}
        assert {"good", "partial", "wrong", "denied", "guarded"} <= kinds, family_id


def test_a_misconception_leads_the_feedback(pack: Pack) -> None:
    result = answer(pack, "explain-one-click", "The footer link is already enough.")
    assert result.misconceptions == ("footer-link-enough",)
    assert result.feedback[0].startswith("A footer link is still needed, but Gmail and Yahoo")
    assert all(line.startswith("Missing: ") for line in result.feedback[1:])
    assert len(result.feedback) == 1 + len(result.criteria_missed)


def test_a_complete_answer_that_also_states_the_misconception_fails(pack: Pack) -> None:
    good = next(c.text for c in CASES if c.family == "explain-one-click" and c.kind == "good")
    result = answer(pack, "explain-one-click", good + " Honestly, the footer link is enough.")
    assert result.criteria_missed == ()
    assert result.misconceptions == ("footer-link-enough",)
    assert not result.success
    assert result.score == 0.5


@pytest.mark.parametrize(("family", "text"), [
    ("explain-one-click", "A footer link is enough."),
    ("explain-one-click", "The settings link already covers unsubscribes."),
    ("product-update-type", "It is transactional because they call it a product update."),
    ("explain-open-rate", "The open rate shows that people read it."),
    ("sunset-plan", "Never remove anyone from the list."),
    ("qa-unfamiliar-build", "The partner's testing is sufficient."),
])
def test_a_stated_misconception_fires(pack: Pack, family: str, text: str) -> None:
    assert answer(pack, family, text).misconceptions != ()


@pytest.mark.parametrize(("family", "text"), [
    ("explain-one-click", "A footer link is not enough."),
    ("explain-one-click", "The footer link is not enough on its own."),
    ("explain-one-click", "A footer link is enough for CAN-SPAM, but Gmail wants headers."),
    ("explain-one-click", "It's a myth that the footer link is enough."),
    ("explain-one-click", "Nobody should tell you the settings link covers unsubscribes."),
    ("product-update-type", "It is not transactional because they call it a product update."),
    ("explain-open-rate", "It's wrong to think the open rate shows that people read it."),
    ("sunset-plan", "Never remove anyone without a re-engagement email first."),
    ("qa-unfamiliar-build", "The partner's testing is not sufficient."),
])
def test_a_denied_or_qualified_misconception_does_not_fire(pack: Pack, family: str,
                                                            text: str) -> None:
    assert answer(pack, family, text).misconceptions == ()
