"""Flood protection for public submissions, without keeping IP addresses.

The choice: counts live in the memory of each server process, keyed by an
HMAC of (client address, questionnaire) with a random salt that is replaced
every day (it exists only in memory, never on disk). So no raw address is ever
stored — not in the database, not even in memory past the request — and
yesterday's keys cannot be recomputed. The price: each server process counts
on its own (N processes allow N times the limit) and a restart forgets the
counts; both are acceptable for a flood guard, which is not the anonymity or
the one-answer-per-family guarantee (cookies and single-use codes are).

Limits are generous because whole kindergartens share one address (the
institution's Wi-Fi, mobile carriers' NAT): ``SURVEY_SUBMIT_LIMIT`` = (count,
seconds), default 120 submissions per address per questionnaire per hour.
"""

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from datetime import date

DEFAULT_LIMIT = (120, 3600)


class SubmissionLimiter:
    def __init__(self):
        self._lock = threading.Lock()
        self._day: date | None = None
        self._salt = b""
        self._hits: dict[str, deque] = {}

    def _key(self, address: str, questionnaire_id: int) -> str:
        today = date.today()
        if today != self._day:
            # A new day: a new salt, and yesterday's keys are gone with it.
            self._day = today
            self._salt = secrets.token_bytes(32)
            self._hits.clear()
        message = f"{address}|{questionnaire_id}".encode()
        return hmac.new(self._salt, message, hashlib.sha256).hexdigest()

    def allow(self, address: str | None, questionnaire_id: int, limit=DEFAULT_LIMIT) -> bool:
        """Count one submission; False when the address is over the limit."""
        count, seconds = limit
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(self._key(address or "", questionnaire_id), deque())
            while hits and now - hits[0] > seconds:
                hits.popleft()
            if len(hits) >= count:
                return False
            hits.append(now)
            return True

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()


limiter = SubmissionLimiter()
