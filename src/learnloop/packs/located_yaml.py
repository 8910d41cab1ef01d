"""YAML loading that remembers the line of every value.

PyYAML's composed node tree knows where each node starts; we turn it into plain Python data
plus a map from each value's path (a tuple of keys and list indexes) to its 1-based line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

Path = tuple[str | int, ...]


class YamlSyntaxError(ValueError):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


@dataclass
class Located:
    data: object
    lines: dict[Path, int] = field(default_factory=dict)
    offset: int = 0

    def line(self, path: Path) -> int | None:
        """The line of the value at `path`, or of its nearest ancestor."""
        while True:
            if path in self.lines:
                return self.lines[path] + self.offset
            if not path:
                return None
            path = path[:-1]


def _convert(node: yaml.Node, path: Path, lines: dict[Path, int],
             done: dict[int, object]) -> object:
    """Plain data for a node; a node reached again through an alias is converted once, so
    nested aliases (a "billion laughs" document) cost time linear in the text."""
    lines.setdefault(path, node.start_mark.line + 1)
    if id(node) in done:
        return done[id(node)]
    out: object
    if isinstance(node, yaml.MappingNode):
        mapping: dict[str, object] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node)
            skey = str(key)
            if skey in mapping:
                raise YamlSyntaxError(f"duplicate key {skey!r}", key_node.start_mark.line + 1)
            lines[(*path, skey)] = key_node.start_mark.line + 1
            mapping[skey] = _convert(value_node, (*path, skey), lines, done)
        out = mapping
    elif isinstance(node, yaml.SequenceNode):
        out = [_convert(child, (*path, i), lines, done) for i, child in enumerate(node.value)]
    else:
        out = _scalar(node)
    done[id(node)] = out
    return out


def _scalar(node: yaml.Node) -> object:
    if not isinstance(node, yaml.ScalarNode):
        raise YamlSyntaxError("a mapping key must be a plain value", node.start_mark.line + 1)
    constructor = yaml.SafeLoader("")
    try:
        return constructor.construct_scalar(node) if node.tag == "tag:yaml.org,2002:str" \
            else constructor.construct_object(node, deep=True)
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(str(exc), node.start_mark.line + 1) from None
    finally:
        constructor.dispose()


def load(text: str, offset: int = 0) -> Located:
    """Parse one YAML document; raise YamlSyntaxError with the line of the problem."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + offset if mark is not None else None
        raise YamlSyntaxError(exc.problem or str(exc), line) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(str(exc), None) from None
    if node is None:
        return Located(None, {}, offset)
    lines: dict[Path, int] = {}
    try:
        data = _convert(node, (), lines, {})
    except YamlSyntaxError as exc:
        raise YamlSyntaxError(str(exc), (exc.line or 0) + offset) from None
    return Located(data, lines, offset)
