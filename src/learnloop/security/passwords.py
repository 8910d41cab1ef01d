"""Password hashing with argon2-cffi (Argon2id, the library's RFC 9106 defaults)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class Argon2Passwords:
    def __init__(self, *, fast: bool = False) -> None:
        # `fast` lowers the cost for tests only; every real path uses the library's defaults.
        self._hasher = (
            PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
            if fast else PasswordHasher()
        )

    def hash(self, password: str) -> str:
        return str(self._hasher.hash(password))

    def verify(self, stored_hash: str, password: str) -> bool:
        try:
            return bool(self._hasher.verify(stored_hash, password))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        return bool(self._hasher.check_needs_rehash(stored_hash))
