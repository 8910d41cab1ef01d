"""Published pack versions, read back from their stored files once and kept (they never change)."""

from __future__ import annotations

import threading

from learnloop.domain.content.model import Pack
from learnloop.domain.errors import NotFound
from learnloop.packs.reader import read_pack_files
from learnloop.services.ports import StoredVersion
from learnloop.store.unit import Repos


class PackCache:
    def __init__(self, size: int = 32) -> None:
        self._packs: dict[int, Pack] = {}
        self._size = size
        self._lock = threading.Lock()

    def get(self, repos: Repos, version: StoredVersion) -> Pack:
        with self._lock:
            pack = self._packs.get(version.id)
        if pack is not None:
            return pack
        reading = read_pack_files(repos.content.version_files(version.id))
        if reading.pack is None:  # pragma: no cover - published versions were valid
            raise NotFound("This pack version cannot be read.")
        with self._lock:
            if len(self._packs) >= self._size:
                self._packs.pop(next(iter(self._packs)))
            self._packs[version.id] = reading.pack
        return reading.pack
