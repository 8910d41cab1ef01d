"""Published pack versions, read back from their stored files once and kept (they never change)."""

from __future__ import annotations

import threading

from learnloop.domain.content.model import Pack
from learnloop.domain.errors import NotFound
from learnloop.domain.learner.catalogue import catalogue_of
from learnloop.packs.reader import read_pack_files
from learnloop.services.ports import ContentRepo, LoadedPack, PackLoader, StoredVersion


class PackCache:
    def __init__(self, size: int = 32) -> None:
        self._packs: dict[int, LoadedPack] = {}
        self._size = size
        self._lock = threading.Lock()

    def load(self, repo: ContentRepo, version: StoredVersion) -> LoadedPack:
        with self._lock:
            loaded = self._packs.get(version.id)
        if loaded is not None:
            return loaded
        reading = read_pack_files(repo.version_files(version.id))
        if reading.pack is None:  # pragma: no cover - published versions were valid
            raise NotFound("This pack version cannot be read.")
        loaded = LoadedPack(version, reading.pack, catalogue_of(reading.pack))
        with self._lock:
            if len(self._packs) >= self._size:
                self._packs.pop(next(iter(self._packs)))
            self._packs[version.id] = loaded
        return loaded

    def get(self, repo: ContentRepo, version: StoredVersion) -> Pack:
        return self.load(repo, version).pack

    def loader(self, repo: ContentRepo) -> PackLoader:
        """A loader bound to one transaction's content repository, for the services."""
        return lambda version: self.load(repo, version)
