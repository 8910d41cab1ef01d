"""An email's HTML read once into what the static rules look at.

The HTML is parsed with lexbor (through selectolax), the parser engine that browsers' own
standards describe; it never fetches anything. Everything here is read from the source HTML as
the author wrote it, before merge tags are filled in, so a link whose address is a merge tag
(`*|UNSUB|*`) is seen as that tag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

_SPACE = re.compile(r"\s+")
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden|max-height\s*:\s*0(?![.\d])"
                     r"|mso-hide\s*:\s*all|opacity\s*:\s*0(?![.\d])", re.IGNORECASE)
_TINY = re.compile(r"font-size\s*:\s*[01](?:px)?\s*(?:;|$|!)", re.IGNORECASE)
_DRAW_OUT = ("script", "style", "head", "noscript", "template", "title")
MAX_TEXT = 200_000


def squash(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def is_hidden_style(style: str) -> bool:
    return bool(_HIDDEN.search(style) or _TINY.search(style))


def is_hidden(node: LexborNode, style: str) -> bool:
    """Hidden from readers. A font size of 0 or 1 px hides an element only when nothing inside
    it sets its own size: templates put `font-size:0` on layout cells (against gaps between
    inline blocks) and reset it in the children."""
    if _HIDDEN.search(style):
        return True
    if not _TINY.search(style):
        return False
    return not any(_TINY.sub("", _attrs(child).get("style", "")).lower().count("font-size")
                   for child in node.css("[style]") if child is not node)


@dataclass(frozen=True, slots=True)
class Link:
    index: int  # 1-based, in document order
    href: str
    text: str  # the link's visible text, or its image's alt
    is_image: bool
    tag: str  # "a" or "area"

    def label(self) -> str:
        shown = self.href if len(self.href) <= 80 else self.href[:77] + "..."
        return f"link {self.index} ({shown})"


@dataclass(frozen=True, slots=True)
class Image:
    index: int
    src: str
    alt: str | None  # None: no alt attribute at all
    width: str | None
    height: str | None
    in_link: bool

    @property
    def is_pixel(self) -> bool:
        """A 1x1 (or 0x0) tracking pixel or spacer declared by its attributes."""
        return (self.width or "").strip() in ("0", "1", "1px", "0px") and \
            (self.height or "").strip() in ("0", "1", "1px", "0px")

    def label(self) -> str:
        src = self.src.rsplit("/", 1)[-1] or self.src
        return f"image {self.index} ({src[:60]})" if src else f"image {self.index}"


@dataclass(frozen=True, slots=True)
class Hidden:
    """An element hidden from view (a preheader, usually), with how it is hidden."""

    text: str
    style: str
    classes: str


@dataclass(frozen=True, slots=True)
class Page:
    links: tuple[Link, ...]
    images: tuple[Image, ...]
    text: str  # visible text with images blocked (squashed whitespace)
    footer_text: str  # text of the last part of the email (the footer, roughly)
    hidden: tuple[Hidden, ...]
    metas: tuple[dict[str, str], ...]
    styles: str  # every <style> block, joined
    inline_styles: str  # every style attribute, joined
    forbidden: tuple[str, ...]  # tags email must not carry: script, form, iframe, object ...
    esp_tags: tuple[str, ...]  # Campaign Monitor's own elements: unsubscribe, webversion ...
    title: str
    has_html_tag: bool
    parse_ok: bool


ESP_TAGS = ("unsubscribe", "webversion", "forwardtoafriend", "preferences", "currentday",
            "currentmonthname", "currentyear")
FORBIDDEN_TAGS = ("script", "form", "iframe", "object", "embed", "applet", "frame", "frameset")


def _attrs(node: LexborNode) -> dict[str, str]:
    return {k.lower(): (v or "") for k, v in node.attributes.items()}


def _text(node: LexborNode | None) -> str:
    if node is None:
        return ""
    return squash(node.text(separator=" "))[:MAX_TEXT]


def read_page(html: str) -> Page:
    tree = LexborHTMLParser(html)
    metas = tuple(_attrs(m) for m in tree.css("meta"))
    styles = "\n".join(s.text() for s in tree.css("style"))
    inline: list[str] = []
    forbidden = tuple(sorted({n.tag for n in tree.css(", ".join(FORBIDDEN_TAGS)) if n.tag}))
    title_node = tree.css_first("title")
    title = _text(title_node)

    links: list[Link] = []
    for index, node in enumerate(tree.css("a[href], area[href]"), start=1):
        attrs = _attrs(node)
        imgs = node.css("img")
        text = _text(node)
        if not text and imgs:
            text = squash(" ".join(_attrs(i).get("alt", "") for i in imgs))
        links.append(Link(index, attrs.get("href", "").strip(), text, bool(imgs),
                          node.tag or "a"))

    images: list[Image] = []
    for index, node in enumerate(tree.css("img"), start=1):
        attrs = _attrs(node)
        raw: Any = node.attributes
        alt = raw.get("alt") if "alt" in raw else None
        in_link = False
        parent = node.parent
        depth = 0
        while parent is not None and depth < 12:
            if parent.tag == "a":
                in_link = True
                break
            parent = parent.parent
            depth += 1
        images.append(Image(index, attrs.get("src", ""), alt if alt is None else str(alt),
                            attrs.get("width"), attrs.get("height"), in_link))

    hidden: list[Hidden] = []
    for node in tree.css("[style]"):
        style = _attrs(node).get("style", "")
        inline.append(style)
        if is_hidden(node, style) and len(hidden) < 20:
            text = _text(node)
            if text:
                hidden.append(Hidden(text, style, _attrs(node).get("class", "")))

    body = tree.body
    footer_text = ""
    text = ""
    if body is not None:
        visible = body.clone()
        for node in visible.css(", ".join(_DRAW_OUT)):
            node.decompose()
        for node in visible.css("[style]"):
            if is_hidden(node, _attrs(node).get("style", "")):
                node.decompose()
        text = _text(visible)
        footer_text = _footer(text)
    esp = tuple(sorted({n.tag for n in tree.css(", ".join(ESP_TAGS)) if n.tag}))
    return Page(tuple(links), tuple(images), text, footer_text, tuple(hidden), metas, styles,
                "\n".join(inline), forbidden, esp, title, "<html" in html[:5000].lower(),
                body is not None)


_FOOTER_WORDS = re.compile(r"unsubscribe|opt[ -]?out|preferences|copyright|©|all rights reserved"
                           r"|you (?:are )?receiv|sent to|this email was sent", re.IGNORECASE)


def _footer(text: str) -> str:
    """The footer: from the first footer word in the last third of the text to the end (the
    last 600 characters when no footer word is found)."""
    start = len(text) * 2 // 3
    match = _FOOTER_WORDS.search(text, start)
    if match is None:
        match = _FOOTER_WORDS.search(text)
        if match is None or match.start() < len(text) // 3:
            return text[-600:]
    return text[max(0, match.start() - 300):]
