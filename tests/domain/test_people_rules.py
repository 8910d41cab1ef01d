"""The rules a person's fields follow: email, name, time zone, working hours, roles."""

from __future__ import annotations

import pytest

from learnloop.domain.people import (
    Role,
    email_problem,
    name_problem,
    normalise_email,
    parse_roles,
    timezone_problem,
    working_hours_problem,
)


@pytest.mark.parametrize("email", ["ann@example.com", "Ann.Lee+news@mail.example.co.uk",
                                   "a@b.co"])
def test_valid_emails(email: str) -> None:
    assert email_problem(email) is None


@pytest.mark.parametrize(("email", "message"), [
    ("", "is required"),
    ("ann", "'ann' is not an email address"),
    ("ann@example", "'ann@example' is not an email address"),
    ("@example.com", "'@example.com' is not an email address"),
    ("ann@@example.com", "'ann@@example.com' is not an email address"),
    ("ann lee@example.com", "'ann lee@example.com' is not an email address"),
    (" ann@example.com", "' ann@example.com' is not an email address"),
])
def test_invalid_emails(email: str, message: str) -> None:
    assert email_problem(email) == message


def test_emails_longer_than_254_characters_are_refused() -> None:
    email = "a" * 64 + "@" + "b" * 185 + ".com"
    assert len(email) == 254
    assert email_problem(email) is None
    assert email_problem("a" + email) is not None


def test_emails_are_normalised_to_lower_case_without_spaces() -> None:
    assert normalise_email("  Ann.Lee@Example.COM \t") == "ann.lee@example.com"


@pytest.mark.parametrize("name", ["Europe/Berlin", "UTC", "America/Argentina/Buenos_Aires",
                                  "Asia/Kolkata"])
def test_valid_time_zones(name: str) -> None:
    assert timezone_problem(name) is None


@pytest.mark.parametrize("name", ["", "Mars/Base", "europe/berlin", "Europe", "Europe/",
                                  "../../etc/passwd", "/etc/passwd", "Europe/Berlin\x00",
                                  "CEST", "+01:00", "x" * 300])
def test_invalid_time_zones(name: str) -> None:
    assert timezone_problem(name) == (
        f"{name!r} is not an IANA time zone (for example Europe/Berlin)")


@pytest.mark.parametrize("hours", ["09:00-17:00", "00:00-24:00", "08:30-12:45", "23:59-24:00",
                                   "07:05-19:55", "22:00-06:00", "17:00-09:00"])
def test_valid_working_hours(hours: str) -> None:
    assert working_hours_problem(hours) is None


@pytest.mark.parametrize("hours", ["9:00-17:00", "09:00 - 17:00", "09:00", "09:60-17:00",
                                   "25:00-26:00", "24:00-24:00", "0900-1700", "", "9-5"])
def test_working_hours_must_have_the_shape_hh_mm_hh_mm(hours: str) -> None:
    assert working_hours_problem(hours) == f"{hours!r} must look like 09:00-17:00"


@pytest.mark.parametrize("hours", ["09:00-09:00", "22:00-24:30"])
def test_working_hours_must_not_be_empty_or_end_past_midnight(hours: str) -> None:
    problem = working_hours_problem(hours)
    assert problem is not None
    assert problem.startswith(repr(hours))


def test_names_are_required_and_bounded() -> None:
    assert name_problem("Ann Lee") is None
    assert name_problem("x" * 200) is None
    assert name_problem("   ") == "is required"
    assert name_problem("x" * 201) == "must be at most 200 characters"


@pytest.mark.parametrize(("raw", "roles", "unknown"), [
    ("", set(), []),
    ("learner", {Role.LEARNER}, []),
    ("Manager; ADMIN", {Role.MANAGER, Role.ADMIN}, []),
    ("author,reviewer", {Role.AUTHOR, Role.REVIEWER}, []),
    (" analyst ;; learner; ", {Role.ANALYST, Role.LEARNER}, []),
    ("learner;learner", {Role.LEARNER}, []),
    ("boss;learner;Owner", {Role.LEARNER}, ["boss", "owner"]),
    ("admin learner", set(), ["admin learner"]),
])
def test_parse_roles(raw: str, roles: set[Role], unknown: list[str]) -> None:
    assert parse_roles(raw) == (frozenset(roles), unknown)
