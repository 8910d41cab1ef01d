"""The web app's outside checkers: one warm Chromium and one spamd per process, started at the
first pre-flight and closed when the app stops. A checker that cannot start is retried after a
minute, and until then its rules are reported as not run with the reason."""

from __future__ import annotations

import threading
import time

from learnloop.checks.browser import Renderer
from learnloop.checks.spamd import ENV_ADDRESS, ENV_PATH, Spamd, SpamdClient, open_spamd
from learnloop.domain.preflight.checkers import CheckFailed
from learnloop.services.preflight import Checkers
from learnloop.settings import Settings

RETRY_S = 60.0


class _Lazy:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reason: str | None = None
        self.failed_at = 0.0

    def should_try(self) -> bool:
        return self.reason is None or time.monotonic() - self.failed_at > RETRY_S

    def failed(self, reason: str) -> None:
        self.reason, self.failed_at = reason, time.monotonic()


class SharedCheckers:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._renderer: Renderer | None = None
        self._spam: Spamd | SpamdClient | None = None
        self._visual = _Lazy()
        self._spam_state = _Lazy()

    def _get_renderer(self) -> Renderer | None:
        with self._visual.lock:
            if self._renderer is None and self._visual.should_try():
                renderer = Renderer(self.settings.chromium or None)
                try:
                    renderer.start()
                except CheckFailed as exc:
                    self._visual.failed(exc.reason)
                else:
                    self._renderer, self._visual.reason = renderer, None
            return self._renderer

    def _get_spam(self) -> Spamd | SpamdClient | None:
        with self._spam_state.lock:
            if self._spam is None and self._spam_state.should_try():
                environ = {}
                if self.settings.spamd:
                    environ[ENV_PATH] = self.settings.spamd
                if self.settings.spamd_address:
                    environ[ENV_ADDRESS] = self.settings.spamd_address
                try:
                    self._spam = open_spamd(environ)
                except CheckFailed as exc:
                    self._spam_state.failed(exc.reason)
                else:
                    self._spam_state.reason = None
            return self._spam

    def checkers(self) -> Checkers:
        renderer = self._get_renderer() if self.settings.preflight_visual else None
        spam = self._get_spam() if self.settings.preflight_spam else None
        return Checkers(
            renderer, self._visual.reason or "the visual checks are turned off "
            "(LEARNLOOP_PREFLIGHT_VISUAL)", spam, self._spam_state.reason or "the spam check "
            "is turned off (LEARNLOOP_PREFLIGHT_SPAM)")

    def close(self) -> None:
        with self._visual.lock:
            if self._renderer is not None:
                self._renderer.close()
                self._renderer = None
        with self._spam_state.lock:
            if self._spam is not None:
                self._spam.close()
                self._spam = None

