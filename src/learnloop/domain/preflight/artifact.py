"""The artifact a pre-flight checks: a campaign, its email and its audience, as plain data.

Adapters read it from JSON, an `.eml` file or an `.html` file with a sidecar
(`learnloop.artifacts`); the checks never see a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from email.headerregistry import Address
from email.utils import getaddresses
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING

from learnloop.domain.problems import Problem

if TYPE_CHECKING:
    from learnloop.domain.preflight.audience import Audience


class MessageType(StrEnum):
    """Marketing mail must carry an opt-out and a postal address; transactional mail (a
    receipt, a password reset) is exempt from most of that."""

    MARKETING = "marketing"
    TRANSACTIONAL = "transactional"


CHANNELS = ("email",)


@dataclass(frozen=True, slots=True)
class Campaign:
    name: str | None = None
    message_type: MessageType | None = None
    channel: str = "email"
    campaign_type: str | None = None  # newsletter, promotional, ... (free text, lowercase)
    send_date: date | None = None
    owner: str | None = None  # the owner's email address


@dataclass(frozen=True, slots=True)
class Email:
    subject: str | None = None
    preheader: str | None = None  # as set in the ESP; None: read it from the HTML
    from_: str | None = None
    reply_to: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    html: str | None = None
    text: str | None = None

    def header(self, name: str) -> str | None:
        """The first header of that name (case-insensitive)."""
        lowered = name.lower()
        return next((value for key, value in self.headers if key.lower() == lowered), None)

    def headers_named(self, name: str) -> list[str]:
        lowered = name.lower()
        return [value for key, value in self.headers if key.lower() == lowered]

    @property
    def html_bytes(self) -> int:
        return len(self.html.encode("utf-8")) if self.html is not None else 0


@dataclass(frozen=True, slots=True)
class Mailbox:
    display_name: str
    address: str

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2].lower()


def mailbox(value: str | None) -> Mailbox | None:
    """The first address in a From or Reply-To value, or None when there is none."""
    if not value:
        return None
    parsed = [(name, addr) for name, addr in getaddresses([value]) if "@" in addr]
    if not parsed:
        return None
    name, addr = parsed[0]
    try:
        Address(addr_spec=addr)
    except (ValueError, IndexError):
        return None
    return Mailbox(name.strip(), addr.strip())


@dataclass(frozen=True, slots=True)
class Artifact:
    """One campaign as shipped. `source` names where it came from (a file name); `sample` is
    the sample contact used to merge the preview (merge-tag name to value)."""

    source: str
    campaign: Campaign = field(default_factory=Campaign)
    email: Email = field(default_factory=Email)
    audience: Audience | None = None
    audience_text: str | None = None
    sample: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    warnings: tuple[Problem, ...] = ()  # problems that did not stop the reading (a typo?)
