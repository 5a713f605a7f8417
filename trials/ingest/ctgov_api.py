"""Fetch stage for the ClinicalTrials.gov API v2: NCT ids, or "updated since a date", into raw API pages.

Nothing here parses a study or touches the database. Each response page becomes one ``RawSource``
(the ``ctgov_api_v2_json`` parser splits its ``studies``); a request that fails becomes one
``Unreadable`` whose message a curator can act on, so the import reports it as a failed record
and goes on. Only the standard library is used.

The API as used here (https://clinicaltrials.gov/data-api/api, the ``/studies`` operation):

- ``filter.ids``: comma-separated NCT ids; ``pageSize``: at most 1,000 (larger values are clamped);
  ``pageToken``: the previous page's ``nextPageToken``, which the last page lacks;
  ``countTotal=true`` adds ``totalCount`` to the first page; ``format=json``. Summarised in
  K-Dense-AI/claude-scientific-skills ``clinicaltrials-database/references/api_reference.md``.
- ``filter.advanced`` takes an Essie expression; ``AREA[LastUpdatePostDate]RANGE[2023-01-15,MAX]``
  selects studies updated on or after a date (``MAX`` is an open bound): genomoncology/biomcp
  ``docs/backend-services-reference/04-clinicaltrials-gov.md``. A bad expression is a 400 whose body
  says why ("Error parsing query in advanced filter: ..."), which is passed on to the curator.
"""

from __future__ import annotations

import datetime as dt
import gzip
import http.client
import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from time import sleep
from urllib.parse import unquote, urlencode, urlsplit

from django.conf import settings

from trials.ingest.readers import Unreadable
from trials.ingest.records import RawSource

USER_AGENT = "trial-portal/0.1 (clinical-trial catalogue; import_trials)"
# Ids per request: keeps a request URL, and the origin that names it, well under 1,000 characters.
IDS_PER_REQUEST = 50
PAGE_SIZE = 1000  # the API's largest page
TRIES = 3
BACKOFF_SECONDS = (2, 8)  # waits before the second and third try, unless the API sends Retry-After
MAX_RETRY_AFTER_SECONDS = 60
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# A page of 1,000 studies is ~20 MB; a body past this is refused rather than read into memory.
MAX_RESPONSE_BYTES = 100 * 2**20

_NCT_ID = re.compile(r"NCT\d{8}")


class FetchError(Exception):
    """A request that produced no page; the message says why in a curator's words."""


class _Retryable(FetchError):
    def __init__(self, message: str, retry_after: int | None):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class _Page:
    """What the fetch stage needs from a page: where to go next and which studies came back."""

    next_token: str | None
    nct_ids: frozenset[str]


def normalize_nct_id(value: str) -> str:
    nct_id = value.strip().upper()
    if not _NCT_ID.fullmatch(nct_id):
        raise ValueError(f"{value!r} is not an NCT id (NCT and 8 digits, such as NCT05289856)")
    return nct_id


def fetch_studies(nct_ids: Iterable[str], *, batch_size: int = IDS_PER_REQUEST) -> Iterator[RawSource | Unreadable]:
    """Pages holding the studies with these NCT ids, then one ``Unreadable`` per id CT.gov does not have.

    Raises ``ValueError`` before any request when an id is not an NCT id.
    """
    wanted = list(dict.fromkeys(normalize_nct_id(value) for value in nct_ids))
    if not wanted:
        raise ValueError("no NCT ids given")
    return _fetch_by_ids(_Client.from_settings(), wanted, batch_size)


def fetch_updated_since(since: dt.date) -> Iterator[RawSource | Unreadable]:
    """Pages holding every study whose last update was posted on or after ``since``."""
    query = {
        "filter.advanced": f"AREA[LastUpdatePostDate]RANGE[{since.isoformat()},MAX]",
        "pageSize": PAGE_SIZE,
        "format": "json",
        "countTotal": "true",
    }
    return (unit for unit, _ in _Client.from_settings().pages(query))


def _fetch_by_ids(client: _Client, wanted: list[str], batch_size: int) -> Iterator[RawSource | Unreadable]:
    for start in range(0, len(wanted), batch_size):
        batch = wanted[start : start + batch_size]
        found: set[str] = set()
        complete = True
        for unit, page in client.pages({"filter.ids": ",".join(batch), "pageSize": batch_size, "format": "json"}):
            yield unit
            if page is None:
                complete = False  # the failed request is reported; its ids are unknown, not missing
            else:
                found |= page.nct_ids
        if complete:
            for nct_id in batch:
                if nct_id not in found:
                    yield Unreadable(f"ctgov-api: {nct_id}", f"{nct_id} not found on ClinicalTrials.gov")


class _Client:
    def __init__(self, base_url: str, timeout: int):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.host = urlsplit(self.base_url).netloc

    @classmethod
    def from_settings(cls) -> _Client:
        return cls(settings.CTGOV_API_URL, settings.CTGOV_API_TIMEOUT)

    def pages(self, query: dict) -> Iterator[tuple[RawSource | Unreadable, _Page | None]]:
        """Each page of ``/studies`` for this query, following ``nextPageToken``; a failure ends the walk."""
        token, tokens_seen = None, set()
        while True:
            params = {**query, "pageToken": token} if token else query
            url = f"{self.base_url}/studies?{urlencode(params, safe=',')}"
            origin = unquote(url)  # names the request as a person would type it: AREA[...]RANGE[...]
            try:
                body = self._get(url)
                page = _read_page(body)
            except FetchError as exc:
                yield Unreadable(origin, str(exc)), None
                return
            yield RawSource(origin, body), page
            token = page.next_token
            if not token:
                return
            if token in tokens_seen:
                yield Unreadable(origin, "the API sent a page token twice; stopped rather than loop"), None
                return
            tokens_seen.add(token)

    def _get(self, url: str) -> bytes:
        for attempt in range(1, TRIES + 1):
            try:
                return self._get_once(url)
            except _Retryable as exc:
                if attempt == TRIES:
                    raise FetchError(f"{exc} (gave up after {TRIES} tries)") from None
                sleep(exc.retry_after if exc.retry_after is not None else BACKOFF_SECONDS[attempt - 1])
        raise AssertionError("unreachable")

    def _get_once(self, url: str) -> bytes:
        request = urllib.request.Request(
            url, headers={"User-Agent": USER_AGENT, "Accept": "application/json", "Accept-Encoding": "gzip"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return _read_body(response)
        except urllib.error.HTTPError as exc:
            with exc:
                message = f"ClinicalTrials.gov answered HTTP {exc.code} {exc.reason}{_api_message(exc)}"
                if exc.code in RETRY_STATUSES:
                    raise _Retryable(message, _retry_after(exc.headers.get("Retry-After"))) from None
                raise FetchError(message) from None
        except TimeoutError:
            raise FetchError(f"no answer from {self.host} within {self.timeout} s") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise FetchError(f"no answer from {self.host} within {self.timeout} s") from None
            raise FetchError(f"cannot reach {self.host}: {exc.reason}") from None
        except (http.client.HTTPException, OSError, EOFError) as exc:
            raise FetchError(f"the connection to {self.host} broke off: {exc or type(exc).__name__}") from None


def _read_body(response) -> bytes:
    limit = f"the {MAX_RESPONSE_BYTES // 2**20} MB limit for one response"
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
        raise FetchError(f"refused: the response declares {int(declared):,} bytes, over {limit}")
    stream = response
    if response.headers.get("Content-Encoding", "").lower() == "gzip":
        stream = gzip.GzipFile(fileobj=response)  # read through the cap below, so a gzip bomb stops early
    body = stream.read(MAX_RESPONSE_BYTES + 1)
    if len(body) > MAX_RESPONSE_BYTES:
        raise FetchError(f"refused: the response is larger than {limit}")
    return body


def _read_page(body: bytes) -> _Page:
    try:
        value = json.loads(body)
    except ValueError:  # JSONDecodeError or UnicodeDecodeError
        raise FetchError(f"the answer is not JSON: {_preview(body)}") from None
    if not isinstance(value, dict) or not isinstance(value.get("studies"), list):
        raise FetchError(f'the answer is JSON but not a page of studies (no "studies" list): {_preview(body)}')
    token = value.get("nextPageToken")
    ids = set()
    for study in value["studies"]:
        identification = _obj(_obj(study, "protocolSection"), "identificationModule")
        # A study asked for by an obsolete id comes back under its current id, with the old one as an alias.
        for nct_id in [identification.get("nctId"), *(identification.get("nctIdAliases") or [])]:
            if isinstance(nct_id, str):
                ids.add(nct_id.upper())
    return _Page(token if isinstance(token, str) and token else None, frozenset(ids))


def _obj(value, key: str) -> dict:
    inner = value.get(key) if isinstance(value, dict) else None
    return inner if isinstance(inner, dict) else {}


def _api_message(exc: urllib.error.HTTPError) -> str:
    """The API's own explanation from an error body (plain text, or JSON with a message), shortened."""
    try:
        text = exc.read(4000).decode("utf-8", errors="replace").strip()
    except (OSError, http.client.HTTPException):
        return ""
    try:
        value = json.loads(text)
        if isinstance(value, dict) and isinstance(value.get("message"), str):
            text = value["message"]
    except ValueError:
        pass
    if not text or text.startswith("<"):  # an HTML error page from a proxy says nothing useful
        return ""
    return ": " + _shorten(text)


def _retry_after(value: str | None) -> int | None:
    if value and value.strip().isdigit():
        return min(int(value), MAX_RETRY_AFTER_SECONDS)
    return None


def _preview(body: bytes) -> str:
    if not body.strip():
        return "the body is empty"
    return repr(_shorten(body[:200].decode("utf-8", errors="replace")))


def _shorten(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
