"""Typed access to a YAML mapping that records a problem for every missing or ill-typed field."""

from __future__ import annotations

from collections.abc import Iterator

from learnloop.domain.problems import Problem
from learnloop.packs.located_yaml import Located, Path


class Shape:
    """One mapping in a YAML document, read field by field.

    Every accessor returns a usable default when the field is missing or of the wrong type and
    records a problem naming the field, the file and the line. `finish()` reports fields that
    were never read, so a misspelt field never passes silently.
    """

    def __init__(self, doc: Located, path: Path, file: str, problems: list[Problem],
                 what: str) -> None:
        self.doc = doc
        self.path = path
        self.file = file
        self.problems = problems
        self.what = what
        raw = _at(doc.data, path)
        self.ok = isinstance(raw, dict)
        self.raw: dict[str, object] = raw if isinstance(raw, dict) else {}
        self.read: set[str] = set()
        if not self.ok:
            self.problem(None, f"{what} must be a mapping of fields")

    # -- reporting -------------------------------------------------------------------------
    def line(self, name: str | int | None = None) -> int | None:
        return self.doc.line(self.path if name is None else (*self.path, name))

    def problem(self, name: str | None, message: str, line: int | None = None) -> None:
        self.problems.append(Problem(
            where=self.file,
            line=line if line is not None else self.line(name),
            field=name,
            message=message,
        ))

    def finish(self) -> None:
        for name in self.raw:
            if name not in self.read:
                allowed = ", ".join(sorted(self.read)) or "none"
                self.problem(name, f"unknown field in {self.what} (allowed here: {allowed})")

    def field_lines(self) -> tuple[tuple[str, int], ...]:
        out = []
        for name in self.raw:
            line = self.line(name)
            if line is not None:
                out.append((name, line))
        return tuple(out)

    # -- accessors -------------------------------------------------------------------------
    def has(self, name: str) -> bool:
        self.read.add(name)
        return name in self.raw and self.raw[name] is not None

    def get(self, name: str) -> object:
        self.read.add(name)
        return self.raw.get(name)

    def text(self, name: str, *, required: bool = True, default: str = "") -> str:
        value = self.get(name)
        if value is None:
            if required:
                self.problem(name, f"{self.what} needs '{name}'", self.line())
            return default
        if isinstance(value, bool):
            self.problem(name, f"must be text, but YAML read a boolean ({value}); words like "
                               "yes, no, on and off need quotes")
            return default
        if not isinstance(value, str | int | float):
            self.problem(name, "must be text")
            return default
        text = str(value).strip()
        if required and not text:
            self.problem(name, "must not be empty")
        return text

    def opt_text(self, name: str) -> str | None:
        if self.get(name) is None:
            return None
        return self.text(name)

    def integer(self, name: str, default: int, *, required: bool = False) -> int:
        value = self.get(name)
        if value is None:
            if required:
                self.problem(name, f"{self.what} needs '{name}'", self.line())
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(name, f"must be a whole number (got {value!r})")
            return default
        return value

    def number(self, name: str, default: float) -> float:
        value = self.get(name)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(name, f"must be a number (got {value!r})")
            return default
        return float(value)

    def text_list(self, name: str) -> tuple[str, ...]:
        value = self.get(name)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.problem(name, "must be a list of text values")
            return ()
        out = []
        for i, item in enumerate(value):
            if isinstance(item, bool) or not isinstance(item, str | int | float):
                self.problem(name, f"item {i + 1} must be text", self.line_at(name, i))
                continue
            out.append(str(item).strip())
        return tuple(out)

    def mapping_list(self, name: str, *, required: bool = False) -> list[int]:
        """Indexes of the entries of a list of mappings (problems for non-mappings)."""
        value = self.get(name)
        if value is None:
            if required:
                self.problem(name, f"{self.what} needs '{name}'", self.line())
            return []
        if not isinstance(value, list):
            self.problem(name, "must be a list")
            return []
        return list(range(len(value)))

    def each(self, name: str, *, what: str, required: bool = False) -> Iterator[Shape]:
        """The mappings in the list `name`, one Shape each; each is finished after its turn."""
        for index in self.mapping_list(name, required=required):
            child = self.child(name, index, what=what)
            if child.ok:
                yield child
                child.finish()

    def line_at(self, name: str, index: int) -> int | None:
        return self.doc.line((*self.path, name, index))

    def child(self, name: str | int, *rest: str | int, what: str) -> Shape:
        return Shape(self.doc, (*self.path, name, *rest), self.file, self.problems, what)


def _at(data: object, path: Path) -> object:
    for part in path:
        if isinstance(part, int):
            if not isinstance(data, list) or part >= len(data):
                return None
            data = data[part]
        else:
            if not isinstance(data, dict):
                return None
            data = data.get(part)
    return data
