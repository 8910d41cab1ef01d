"""What an organisation configures about its pre-flight checks.

Defaults follow the rule catalogue (`docs/preflight.md`); an organisation changes its naming
pattern, its UTM policy, its thresholds and the severity of any rule (or turns a rule off).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from learnloop.domain.errors import InvalidInput
from learnloop.domain.preflight.catalogue import BY_ID
from learnloop.domain.preflight.findings import Severity
from learnloop.domain.problems import Problem

OFF: Literal["off"] = "off"
SeverityOverride = Severity | Literal["off"]

DEFAULT_NAMING = "{yyyy}-{mm}_{channel}_{audience}_{offer}[_{variant}]"


@dataclass(frozen=True, slots=True)
class UtmPolicy:
    required: tuple[str, ...] = ("utm_source", "utm_medium", "utm_campaign")
    medium: str = "email"  # the utm_medium value GA4's default channel grouping reads as email
    owned_domains: tuple[str, ...] = ()  # empty: the From address's domain
    lowercase: bool = True


@dataclass(frozen=True, slots=True)
class Thresholds:
    clip_warn_kb: float = 80.0
    clip_fail_kb: float = 102.0
    spam_warn: float = 3.0
    spam_fail: float = 5.0
    overflow_px: float = 16.0
    body_text_px: float = 13.0
    body_text_min_px: float = 11.0
    small_text_share: float = 0.20
    tap_min_px: float = 24.0
    cta_min_px: float = 44.0
    preheader_min: int = 40
    preheader_max: int = 100
    sunset_days: int = 365  # contacts not engaged for longer than this should be excluded


@dataclass(frozen=True, slots=True)
class PreflightConfig:
    naming_pattern: str = DEFAULT_NAMING
    naming_max: int = 50
    utm: UtmPolicy = field(default_factory=UtmPolicy)
    thresholds: Thresholds = field(default_factory=Thresholds)
    overrides: Mapping[str, SeverityOverride] = field(
        default_factory=lambda: MappingProxyType({}))
    brand_names: tuple[str, ...] = ()  # shown in the From name and the footer (C8)
    sender_domains: tuple[str, ...] = ()  # From domains that belong to the brand (C3)
    seed_patterns: tuple[str, ...] = ("seed", "test", "qa")  # local parts of test addresses
    widths: tuple[int, ...] = (375, 600)

    def severity(self, rule: str, default: Severity) -> Severity | None:
        """The severity the organisation gives `rule`; None when it turned the rule off."""
        chosen = self.overrides.get(rule, default)
        return None if chosen == OFF else Severity(chosen)


_TOKEN = re.compile(r"\{([a-z_]+)(?::([a-z0-9|-]+))?\}")
_FIXED = {"yyyy": r"\d{4}", "yy": r"\d{2}", "mm": r"(?:0[1-9]|1[0-2])",
          "dd": r"(?:0[1-9]|[12]\d|3[01])"}
_WORD = r"[a-z0-9]+(?:-[a-z0-9]+)*"


class PatternError(ValueError):
    pass


def naming_regex(pattern: str) -> re.Pattern[str]:
    """Compile a naming template such as `{yyyy}-{mm}_{channel:email|sms}_{offer}[_{variant}]`.

    `{yyyy}`, `{yy}`, `{mm}` and `{dd}` are date parts; `{name}` is one lowercase word
    (letters, digits, inner hyphens); `{name:a|b}` is one of the listed values; text in square
    brackets is optional; any other character stands for itself.
    """
    out: list[str] = []
    depth = 0
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "{":
            match = _TOKEN.match(pattern, i)
            if match is None:
                raise PatternError(f"bad token at character {i + 1}: use {{name}} or "
                                   "{name:a|b}")
            name, choices = match.groups()
            if choices:
                out.append("(?:" + "|".join(re.escape(c) for c in choices.split("|")) + ")")
            else:
                out.append(_FIXED.get(name, _WORD))
            i = match.end()
            continue
        if char == "[":
            depth += 1
            out.append("(?:")
        elif char == "]":
            if depth == 0:
                raise PatternError(f"']' at character {i + 1} closes nothing")
            depth -= 1
            out.append(")?")
        elif char == "}":
            raise PatternError(f"'}}' at character {i + 1} closes nothing")
        else:
            out.append(re.escape(char))
        i += 1
    if depth:
        raise PatternError("an optional part '[' is not closed")
    return re.compile("".join(out))


def tokens(pattern: str) -> list[str]:
    """The token names of a naming template, in order."""
    return [m.group(1) for m in _TOKEN.finditer(pattern)]


_THRESHOLD_FIELDS = {name: type(getattr(Thresholds(), name)) for name in Thresholds.__slots__}
CONFIG_FIELDS = ("naming_pattern", "naming_max", "utm", "thresholds", "overrides",
                 "brand_names", "sender_domains", "seed_patterns", "widths")


def config_from_data(data: object, where: str = "preflight settings") -> PreflightConfig:
    """An organisation's settings from plain data (YAML or JSON), checked field by field.

    Raises `InvalidInput` with every problem; unknown fields are errors, so a typo never
    silently leaves a default in force."""
    problems: list[Problem] = []

    def bad(field_name: str, message: str) -> None:
        problems.append(Problem(where, message, field=field_name))

    if data is None:
        return PreflightConfig()
    if not isinstance(data, Mapping):
        raise InvalidInput([Problem(where, "must be an object")])
    for key in data:
        if key not in CONFIG_FIELDS:
            bad(str(key), "unknown setting; expected one of " + ", ".join(CONFIG_FIELDS))
    base = PreflightConfig()
    pattern = data.get("naming_pattern", base.naming_pattern)
    if not isinstance(pattern, str) or not pattern.strip() or len(pattern) > 300:
        bad("naming_pattern", "must be a naming template of up to 300 characters")
        pattern = base.naming_pattern
    else:
        try:
            naming_regex(pattern)
        except PatternError as exc:
            bad("naming_pattern", str(exc))
    naming_max = data.get("naming_max", base.naming_max)
    if not isinstance(naming_max, int) or isinstance(naming_max, bool) or \
            not 5 <= naming_max <= 500:
        bad("naming_max", "must be a whole number from 5 to 500")
        naming_max = base.naming_max

    def names(key: str, default: tuple[str, ...], lower: bool = True) -> tuple[str, ...]:
        value = data.get(key, list(default)) if isinstance(data, Mapping) else list(default)
        if not isinstance(value, list) or not all(isinstance(v, str) and 0 < len(v) <= 253
                                                  for v in value) or len(value) > 200:
            bad(key, "must be a list of up to 200 names")
            return default
        return tuple(v.strip().lower() if lower else v.strip() for v in value)

    utm = base.utm
    raw_utm = data.get("utm")
    if raw_utm is not None:
        if not isinstance(raw_utm, Mapping):
            bad("utm", "must be an object with required, medium, owned_domains, lowercase")
        else:
            for key in raw_utm:
                if key not in ("required", "medium", "owned_domains", "lowercase"):
                    bad(f"utm.{key}", "unknown setting")
            required = raw_utm.get("required", list(utm.required))
            if not isinstance(required, list) or not all(
                    isinstance(v, str) and v.startswith("utm_") for v in required):
                bad("utm.required", "must be a list of utm_ parameter names")
                required = list(utm.required)
            medium = raw_utm.get("medium", utm.medium)
            if not isinstance(medium, str) or not medium.strip():
                bad("utm.medium", "must be text")
                medium = utm.medium
            owned = raw_utm.get("owned_domains", list(utm.owned_domains))
            if not isinstance(owned, list) or not all(isinstance(v, str) for v in owned):
                bad("utm.owned_domains", "must be a list of domain names")
                owned = []
            lowercase = raw_utm.get("lowercase", utm.lowercase)
            if not isinstance(lowercase, bool):
                bad("utm.lowercase", "must be true or false")
                lowercase = utm.lowercase
            utm = UtmPolicy(tuple(required), medium.strip().lower(),
                            tuple(o.strip().lower() for o in owned), lowercase)
    thresholds = base.thresholds
    raw_thresholds = data.get("thresholds")
    if raw_thresholds is not None:
        if not isinstance(raw_thresholds, Mapping):
            bad("thresholds", "must be an object")
        else:
            values: dict[str, float | int] = {}
            for key, value in raw_thresholds.items():
                kind = _THRESHOLD_FIELDS.get(str(key))
                if kind is None:
                    bad(f"thresholds.{key}", "unknown threshold; expected one of "
                        + ", ".join(_THRESHOLD_FIELDS))
                elif isinstance(value, bool) or not isinstance(value, (int, float)) or \
                        (kind is int and not isinstance(value, int)) or value < 0 or \
                        value > 100_000:
                    bad(f"thresholds.{key}", f"must be a {'whole ' if kind is int else ''}"
                        "number from 0 to 100000")
                else:
                    values[str(key)] = kind(value)
            thresholds = Thresholds(**values)  # type: ignore[arg-type]
            if thresholds.clip_warn_kb > thresholds.clip_fail_kb:
                bad("thresholds.clip_warn_kb", "must not be above clip_fail_kb")
            if thresholds.spam_warn > thresholds.spam_fail:
                bad("thresholds.spam_warn", "must not be above spam_fail")
            if thresholds.small_text_share > 1:
                bad("thresholds.small_text_share", "is a share from 0 to 1")
    overrides: dict[str, SeverityOverride] = {}
    raw_overrides = data.get("overrides")
    if raw_overrides is not None:
        if not isinstance(raw_overrides, Mapping):
            bad("overrides", "must map rule ids to fail, warn, coach or off")
        else:
            for key, value in raw_overrides.items():
                if key not in BY_ID:
                    bad(f"overrides.{key}", "no such rule")
                elif value not in ("fail", "warn", "coach", OFF):
                    bad(f"overrides.{key}", "must be fail, warn, coach or off")
                elif value == OFF:
                    overrides[str(key)] = OFF
                else:
                    overrides[str(key)] = Severity(value)
    widths = data.get("widths", list(base.widths))
    if not isinstance(widths, list) or not widths or len(widths) > 4 or not all(
            isinstance(w, int) and not isinstance(w, bool) and 240 <= w <= 1600 for w in widths):
        bad("widths", "must be a list of 1 to 4 widths from 240 to 1600 px")
        widths = list(base.widths)
    if any(p.is_error for p in problems):
        raise InvalidInput(problems)
    return PreflightConfig(pattern, naming_max, utm, thresholds, MappingProxyType(overrides),
                           names("brand_names", (), lower=False), names("sender_domains", ()),
                           names("seed_patterns", base.seed_patterns), tuple(widths))


def config_to_data(config: PreflightConfig) -> dict[str, object]:
    """The settings as plain data, for storing and for showing."""
    t = config.thresholds
    return {
        "naming_pattern": config.naming_pattern, "naming_max": config.naming_max,
        "utm": {"required": list(config.utm.required), "medium": config.utm.medium,
                "owned_domains": list(config.utm.owned_domains),
                "lowercase": config.utm.lowercase},
        "thresholds": {name: getattr(t, name) for name in Thresholds.__slots__},
        "overrides": {k: str(v) for k, v in sorted(config.overrides.items())},
        "brand_names": list(config.brand_names), "sender_domains": list(config.sender_domains),
        "seed_patterns": list(config.seed_patterns), "widths": list(config.widths),
    }
