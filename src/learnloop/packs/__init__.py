"""Read a content pack folder into domain objects, reporting every problem with file and line."""

from learnloop.packs.reader import PackReading, read_pack

__all__ = ["PackReading", "read_pack"]
