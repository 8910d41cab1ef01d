"""SpamAssassin for D8: a private `spamd` on loopback, spoken to over the SPAMC protocol.

`Spamd` starts its own spamd on a free 127.0.0.1 port with local tests only (no DNS, no
network), no Bayes and no per-user configuration, waits until it answers PING, and stops it by
its own process id on `close` (or at exit). Loading the rules takes a second or more, so start
it once and send it every draft; each draft then takes tens of milliseconds. `SpamdClient`
speaks to a spamd an operator already runs (`LEARNLOOP_SPAMD_ADDRESS=host:port`); `open_spamd`
picks one of the two from the environment.

The protocol (SpamAssassin's `spamd/PROTOCOL`): the client sends

    REPORT SPAMC/1.5
    Content-length: <bytes>

    <message>

and spamd answers `SPAMD/1.1 0 EX_OK`, a `Spam: True ; 7.1 / 5.0` header and the report as
its body. A message over `MAX_MESSAGE_BYTES` (spamc's default limit) is cut to that size and
the report says so. Every failure is a `CheckFailed` with a reason a person can act on, so D8
is reported as not run, never as passed.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from types import TracebackType

from learnloop.domain.preflight.checkers import CheckFailed
from learnloop.domain.preflight.spam import ReportError, SpamReport, parse_report

NOT_INSTALLED = ("SpamAssassin's spamd is not installed (Debian package spamassassin); "
                 "the spam check did not run")
MAX_MESSAGE_BYTES = 500 * 1024  # what spamc sends at most unless told otherwise (-s)
START_BUDGET_S = 30.0  # the first start compiles or loads every rule
MESSAGE_BUDGET_S = 10.0
STOP_BUDGET_S = 10.0
LOOPBACK = "127.0.0.1"
SPAMD_PATHS = ("/usr/sbin/spamd", "/usr/local/sbin/spamd")
ENV_PATH = "LEARNLOOP_SPAMD"
ENV_ADDRESS = "LEARNLOOP_SPAMD_ADDRESS"

# spamd's own settings, on top of the installed rules: no Bayes and no learning from what it
# sees, so a score depends on the draft alone; and no points for a missing Date or Message-ID,
# which the sending platform adds (`spam.SENT_HEADER_RULES`; `spam.judge` leaves them out of an
# operator's spamd's score too, but spamd rounds each rule's points, so this is exact).
CONFIG_LINES = ("use_bayes 0", "bayes_auto_learn 0", "score MISSING_DATE 0",
                "score MISSING_MID 0")

_STATUS = re.compile(rb"SPAMD/(\d+\.\d+)\s+(\d+)\s*(.*)")
_SPAM = re.compile(r"(true|false|yes|no)\s*;\s*(-?\d+(?:\.\d+)?)\s*/\s*(-?\d+(?:\.\d+)?)",
                   re.IGNORECASE)


def find_spamd(environ: Mapping[str, str] | None = None) -> str | None:
    """The spamd program: `LEARNLOOP_SPAMD` when set (and None when that is not a program),
    otherwise spamd on the PATH or in /usr/sbin."""
    env = os.environ if environ is None else environ
    chosen = env.get(ENV_PATH)
    if chosen:
        return chosen if _is_program(chosen) else None
    found = shutil.which("spamd")
    if found:
        return found
    return next((path for path in SPAMD_PATHS if _is_program(path)), None)


def _is_program(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def parse_address(value: str) -> tuple[str, int]:
    """`host:port` or `[ipv6]:port` as a host and a port number; ValueError otherwise."""
    host, sep, port = value.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"expected host:port, got {value!r}")
    return host, int(port)


def spamd_arguments(port: int, folder: Path, *, user: str | None,
                    max_children: int = 2) -> list[str]:
    """spamd's options for a private instance on `port`, keeping its files in `folder`.

    `--local` turns off every network test; `--nouser-config` keeps spamd from reading or
    writing anyone's ~/.spamassassin; `--syslog=stderr` sends its log to the file its
    standard error is written to; `--username` names the user spamd's children check mail as
    when it is started as root (otherwise it falls back to nobody with a warning).
    """
    args = [f"--listen={LOOPBACK}:{port}", f"--allowed-ips={LOOPBACK}", "--local",
            "--nouser-config", f"--max-children={max_children}", "--min-children=1",
            f"--pidfile={folder / 'spamd.pid'}", "--syslog=stderr",
            f"--helper-home-dir={folder}"]
    if user is not None:
        args += ["--username", user]
    args += [f"--cf={line}" for line in CONFIG_LINES]
    return args


class SpamdClient:
    """A spamd listening at `host:port`: the checker D8 uses (`checkers.SpamChecker`)."""

    def __init__(self, host: str, port: int, *, max_bytes: int = MAX_MESSAGE_BYTES) -> None:
        self.host = host
        self.port = port
        self.max_bytes = max_bytes

    @property
    def address(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    def ping(self, budget_s: float = 2.0) -> bool:
        """Whether spamd answers PONG within `budget_s` seconds."""
        try:
            status, _, _ = self._exchange(b"PING SPAMC/1.5\r\n\r\n", budget_s)
        except (OSError, CheckFailed):
            return False
        return status.endswith(b"PONG")

    def check(self, message: bytes, budget_s: float = MESSAGE_BUDGET_S) -> SpamReport:
        """SpamAssassin's report on `message` (a whole MIME message); `CheckFailed` when spamd
        cannot be reached, refuses the message, or takes longer than `budget_s` seconds."""
        truncated = len(message) > self.max_bytes
        if truncated:
            cut = message.rfind(b"\n", 0, self.max_bytes) + 1
            message = message[:cut or self.max_bytes]
        request = b"REPORT SPAMC/1.5\r\nContent-length: %d\r\n\r\n" % len(message) + message
        try:
            status, headers, body = self._exchange(request, budget_s)
        except TimeoutError:
            raise CheckFailed(f"spamd at {self.address} did not answer within "
                              f"{budget_s:g} s") from None
        except OSError as exc:
            raise CheckFailed(f"spamd at {self.address} could not be reached "
                              f"({exc.strerror or exc})") from None
        report = _read_answer(status, headers, body)
        return replace(report, truncated=True) if truncated else report

    def _exchange(self, request: bytes, budget_s: float) -> tuple[bytes, dict[str, str], bytes]:
        deadline = time.monotonic() + budget_s
        with socket.create_connection((self.host, self.port), timeout=budget_s) as sock:
            sock.sendall(request)
            sock.shutdown(socket.SHUT_WR)
            chunks: list[bytes] = []
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                sock.settimeout(left)
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        return _split_answer(b"".join(chunks))

    def close(self) -> None:
        """Nothing to stop: the operator runs this spamd."""

    def __enter__(self) -> SpamdClient:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


def _split_answer(answer: bytes) -> tuple[bytes, dict[str, str], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status, *lines = head.split(b"\r\n")
    headers: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.decode("latin-1").partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return status.strip(), headers, body


def _read_answer(status: bytes, headers: Mapping[str, str], body: bytes) -> SpamReport:
    match = _STATUS.fullmatch(status)
    if match is None:
        shown = status[:80].decode("latin-1") or "nothing"
        raise CheckFailed(f"spamd answered something other than SPAMD ({shown!r})")
    code, text = int(match.group(2)), match.group(3).decode("latin-1").strip()
    if code != 0:
        raise CheckFailed(f"spamd refused the message ({code} {text})")
    length = headers.get("content-length", "")
    if length.isdigit() and len(body) < int(length):
        raise CheckFailed("spamd's answer was cut short")
    spam = _SPAM.fullmatch(headers.get("spam", ""))
    score = float(spam.group(2)) if spam else None
    required = float(spam.group(3)) if spam else None
    try:
        return parse_report(body.decode("utf-8", "replace"), score=score, required=required)
    except ReportError as exc:
        raise CheckFailed(f"spamd's report could not be read ({exc})") from None


class Spamd:
    """A spamd of our own on a free loopback port, started by `start` (or `with`) and
    stopped by `close`. Started as root, its children check mail as `run_as`."""

    def __init__(self, executable: str, *, start_budget_s: float = START_BUDGET_S,
                 run_as: str = "nobody", max_children: int = 2,
                 max_bytes: int = MAX_MESSAGE_BYTES) -> None:
        self.executable = executable
        self.start_budget_s = start_budget_s
        self.run_as = run_as
        self.max_children = max_children
        self.max_bytes = max_bytes
        self._process: subprocess.Popen[bytes] | None = None
        self._client: SpamdClient | None = None
        self._folder: Path | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def client(self) -> SpamdClient | None:
        return self._client

    @property
    def log(self) -> Path | None:
        return self._folder / "spamd.log" if self._folder is not None else None

    def start(self) -> None:
        """Start spamd and wait until it answers PING; `CheckFailed`, with the end of its log,
        when it stops or does not answer within `start_budget_s` seconds."""
        if self._process is not None:
            return
        self._folder = Path(tempfile.mkdtemp(prefix="learnloop-spamd-"))
        atexit.register(self.close)
        deadline = time.monotonic() + self.start_budget_s
        for _attempt in range(3):
            port = _free_port()
            self._spawn(port)
            client = SpamdClient(LOOPBACK, port, max_bytes=self.max_bytes)
            if self._wait_ready(client, deadline):
                self._client = client
                return
            failure = self._failure(deadline)
            self._stop_process()
            if "address already in use" not in self._log_text().lower():
                break  # another process took the port: try another one
        self.close()
        raise CheckFailed(failure)

    def _spawn(self, port: int) -> None:
        assert self._folder is not None
        user = self.run_as if os.geteuid() == 0 else None
        env = {**os.environ, "LC_ALL": "C", "LANG": "C", "LANGUAGE": "C",
               "HOME": str(self._folder)}  # English reports; nothing written to a real home
        args = [self.executable, *spamd_arguments(port, self._folder, user=user,
                                                  max_children=self.max_children)]
        with open(self._folder / "spamd.log", "ab") as log:
            try:
                self._process = subprocess.Popen(  # noqa: S603 - our own arguments
                    args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    env=env, start_new_session=True)
            except OSError as exc:
                self.close()
                raise CheckFailed(f"spamd ({self.executable}) could not be started: "
                                  f"{exc.strerror or exc}") from None

    def _wait_ready(self, client: SpamdClient, deadline: float) -> bool:
        assert self._process is not None
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False
            if client.ping(budget_s=max(0.1, min(1.0, deadline - time.monotonic()))):
                return True
            time.sleep(0.05)
        return False

    def _failure(self, deadline: float) -> str:
        assert self._process is not None
        code = self._process.poll()
        if code is not None:
            said = f"spamd stopped while starting (exit code {code})"
        else:
            said = f"spamd did not answer within {self.start_budget_s:g} s of starting"
        return f"{said}; the spam check did not run. Its log ends: {self.log_tail()}"

    def log_tail(self, lines: int = 5) -> str:
        """The last lines of spamd's log, on one line."""
        kept = [line.strip() for line in self._log_text().splitlines() if line.strip()]
        return " | ".join(kept[-lines:])[-800:] or "(nothing)"

    def _log_text(self) -> str:
        if self.log is None or not self.log.exists():
            return ""
        return self.log.read_text("utf-8", "replace")

    def check(self, message: bytes, budget_s: float = MESSAGE_BUDGET_S) -> SpamReport:
        """SpamAssassin's report on `message`; `CheckFailed` when this spamd is not running."""
        process, client = self._process, self._client
        if process is None or client is None:
            raise CheckFailed("spamd is not running (it was stopped or never started)")
        if process.poll() is not None:
            raise CheckFailed(f"spamd stopped (exit code {process.returncode}); its log ends: "
                              f"{self.log_tail()}")
        return client.check(message, budget_s)

    def close(self) -> None:
        """Stop spamd and remove its folder; safe to call twice."""
        self._client = None
        self._stop_process()
        atexit.unregister(self.close)
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def _stop_process(self) -> None:
        """SIGTERM to spamd's own process id (it stops its children), SIGKILL to its process
        group if it does not end in time, and wait, since nothing else reaps it here."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=STOP_BUDGET_S)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        # Children still alive in spamd's own session (it was killed before it stopped them).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)

    def __enter__(self) -> Spamd:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


def open_spamd(environ: Mapping[str, str] | None = None, *,
               start_budget_s: float = START_BUDGET_S) -> SpamdClient | Spamd:
    """The spam checker this environment offers: the operator's spamd at
    `LEARNLOOP_SPAMD_ADDRESS`, or our own spamd started from `find_spamd`. `CheckFailed`, with
    the reason to report D8 as not run, when neither is available. Close what it returns."""
    env = os.environ if environ is None else environ
    address = env.get(ENV_ADDRESS)
    if address:
        try:
            host, port = parse_address(address)
        except ValueError:
            raise CheckFailed(f"{ENV_ADDRESS} is not host:port ({address!r}); the spam check "
                              "did not run") from None
        client = SpamdClient(host, port)
        if not client.ping():
            raise CheckFailed(f"no spamd answers at {client.address} ({ENV_ADDRESS}); the "
                              "spam check did not run")
        return client
    executable = find_spamd(env)
    if executable is None:
        chosen = env.get(ENV_PATH)
        if chosen:
            raise CheckFailed(f"{ENV_PATH} names {chosen}, which is not a program; the spam "
                              "check did not run")
        raise CheckFailed(NOT_INSTALLED)
    spamd = Spamd(executable, start_budget_s=start_budget_s)
    spamd.start()
    return spamd
