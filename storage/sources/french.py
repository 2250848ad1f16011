"""Daily Fama–French factors (Ken French Data Library) as a polars frame of fractions.

Output schema (``FACTOR_SCHEMA``), one row per date, sorted:

=========  =========  ============================================================
column     dtype      meaning
=========  =========  ============================================================
date       Date       trading day
mkt_rf     Float64    market excess return
smb        Float64    size factor (the 5-factor 2x3 SMB when that file is used)
hml        Float64    value factor
rmw        Float64    profitability factor (5-factor file only)
cma        Float64    investment factor (5-factor file only)
mom        Float64    momentum (UMD), from the momentum file
rf         Float64    one-month T-bill return
=========  =========  ============================================================

Values are **fractions** (0.0040 for a published 0.40 %), divided in decimal so each
is the float nearest to the published number over 100 (``-0.61`` gives ``-0.0061``).
A column no input file carries is all null; a published missing value (-99.99 or
-999) is null.

Three inputs are understood:

- our normalised CSV (``shared/data/ff_factors_daily.csv``): header
  ``date,mkt_rf,smb,hml,rmw,cma,mom,rf`` (any subset after ``date``), ISO dates,
  values in percent (:func:`read_factors_csv`);
- the CSV files as published inside Ken French's zips, e.g.
  ``F-F_Research_Data_5_Factors_2x3_daily.CSV``, ``F-F_Research_Data_Factors_daily.CSV``
  or ``F-F_Momentum_Factor_daily.CSV``: a text preamble, a header line such as
  ``,Mkt-RF,SMB,HML,RF`` or ``,Mom``, rows ``YYYYMMDD,  0.12, ...``, a blank line and a
  copyright footer (:func:`parse_french_csv`, :func:`read_french_csv`);
- the zips themselves, downloaded from the library (:func:`download_french_factors`).

Several files merge on date (:func:`merge_factors`): each factor column comes
from the *first* file that carries it, so list the 5-factor file before the
3-factor one if both are given (their SMB and HML differ by construction).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import polars as pl
import requests

from storage.errors import ImportFileError, RateLimitedError, SourceError, SourceTimeoutError

__all__ = [
    "FACTOR_COLUMNS",
    "FACTOR_SCHEMA",
    "FRENCH_DAILY_ZIPS",
    "FRENCH_FTP_URL",
    "download_french_factors",
    "merge_factors",
    "parse_french_csv",
    "read_factors",
    "read_factors_csv",
    "read_french_csv",
]

FACTOR_COLUMNS: tuple[str, ...] = ("mkt_rf", "smb", "hml", "rmw", "cma", "mom", "rf")
FACTOR_SCHEMA: dict[str, pl.DataType] = {
    "date": pl.Date(),
    **{name: pl.Float64() for name in FACTOR_COLUMNS},
}
FRENCH_FTP_URL = "https://mba.tuck.dartmouth.edu/pages/faculty/ken.french/ftp/"
FRENCH_LIBRARY_PAGE = "https://mba.tuck.dartmouth.edu/pages/faculty/ken.french/data_library.html"
FRENCH_DAILY_ZIPS: tuple[str, ...] = (
    "F-F_Research_Data_5_Factors_2x3_daily_CSV.zip",
    "F-F_Momentum_Factor_daily_CSV.zip",
)

# Published column label (lower case) -> our column.
_PUBLISHED_NAMES = {
    "mkt-rf": "mkt_rf",
    "smb": "smb",
    "hml": "hml",
    "rmw": "rmw",
    "cma": "cma",
    "mom": "mom",
    "umd": "mom",
    "rf": "rf",
}
_MISSING_TEXT = frozenset({"", "na", "nan", "null", "none"})
_MISSING_VALUES = frozenset({Decimal("-99.99"), Decimal("-999")})
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MAX_SHOWN = 10


@dataclass
class _Rows:
    """Parsed rows of one file before they become a frame (values already fractions)."""

    source: str
    columns: list[str]
    dates: list[dt.date] = field(default_factory=list)
    values: list[list[float | None]] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)
    lines: dict[dt.date, int] = field(default_factory=dict)

    def add(self, line: int, date: dt.date, cells: Sequence[str]) -> None:
        """Validate one row's cells and keep it, or record why not."""
        if date in self.lines:
            self.problems.append(
                (line, f"date {date} repeats line {self.lines[date]}; keep one row per date")
            )
            return
        row: list[float | None] = []
        for name, text in zip(self.columns, cells, strict=True):
            value, reason = _fraction(text)
            if reason is not None:
                self.problems.append((line, f"{name}: {reason}"))
                return
            row.append(value)
        self.lines[date] = line
        self.dates.append(date)
        self.values.append(row)

    def frame(self) -> pl.DataFrame:
        """The rows as fractions, only the columns this file carries; raise on problems."""
        if self.problems:
            raise _import_error(self.source, self.problems)
        if not self.dates:
            raise ImportFileError(
                f"{self.source}: no data rows found under the header; is this a Ken French "
                "daily factor file?",
                path=self.source,
            )
        data: dict[str, pl.Series] = {"date": pl.Series("date", self.dates, dtype=pl.Date)}
        for i, name in enumerate(self.columns):
            data[name] = pl.Series(name, [row[i] for row in self.values], dtype=pl.Float64)
        return pl.DataFrame(data).sort("date")


# --------------------------------------------------------------------- normalised


def read_factors_csv(path: str | Path) -> pl.DataFrame:
    """Read our normalised factor CSV (``date,mkt_rf,...``, percent) into fractions.

    Parameters
    ----------
    path
        The file, e.g. ``shared/data/ff_factors_daily.csv``.

    Returns
    -------
    pl.DataFrame
        :data:`FACTOR_SCHEMA`; columns absent from the file are null.

    Raises
    ------
    ImportFileError
        Unreadable file, unknown columns, or rows with a bad date or value
        (``problems`` lists them by line, the header being line 1).
    """
    path = Path(path)
    text = _read_text(path)
    return _complete(_parse_normalised(text, source=str(path)).frame())


def _parse_normalised(text: str, *, source: str) -> _Rows:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        raise ImportFileError(f"{source}: the file is empty", path=source)
    names = [h.strip().lower() for h in header]
    if not names or names[0] != "date":
        raise ImportFileError(
            f"{source}: the header must start with 'date', followed by some of "
            f"{', '.join(FACTOR_COLUMNS)}; got {header}",
            path=source,
            problems=[(1, "header does not start with 'date'")],
        )
    unknown = [n for n in names[1:] if n not in FACTOR_COLUMNS]
    if unknown or len(set(names)) != len(names):
        raise ImportFileError(
            f"{source}: unknown or repeated columns {unknown or names}; expected some of "
            f"{', '.join(FACTOR_COLUMNS)} after 'date'",
            path=source,
            problems=[(1, f"bad columns {unknown or names}")],
        )
    rows = _Rows(source=source, columns=names[1:])
    for line, cells in enumerate(reader, start=2):
        if not cells or all(not c.strip() for c in cells):
            continue
        if len(cells) != len(names):
            rows.problems.append((line, f"{len(cells)} fields, the header has {len(names)}"))
            continue
        date_text = cells[0].strip()
        if not _ISO_DATE.fullmatch(date_text):
            rows.problems.append((line, f"date {date_text!r} is not YYYY-MM-DD"))
            continue
        try:
            date = dt.date.fromisoformat(date_text)
        except ValueError:
            rows.problems.append((line, f"date {date_text!r} does not exist"))
            continue
        rows.add(line, date, cells[1:])
    return rows


# ---------------------------------------------------------------------- published


def parse_french_csv(text: str, *, source: str = "<text>") -> pl.DataFrame:
    """Parse one daily factor CSV as published by Ken French (its text).

    Parameters
    ----------
    text
        The whole file: preamble, header line starting with ``,`` (``,Mkt-RF,SMB,...``
        or ``,Mom``), rows ``YYYYMMDD, value, ...`` in percent, then a blank line or
        a ``Copyright`` footer, which ends the data.
    source
        Name used in error messages (a path, or ``url!member`` for a zip member).

    Returns
    -------
    pl.DataFrame
        ``date`` and only the factor columns this file carries, as fractions.
        Use :func:`merge_factors` (or :func:`read_french_csv`) for the full schema.

    Raises
    ------
    ImportFileError
        No recognisable header, unknown columns, or bad rows (by line number,
        the file's first line being line 1).
    """
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.strip().startswith(",")), None)
    if start is None:
        raise ImportFileError(
            f"{source}: no header line starting with ',' (such as ',Mkt-RF,SMB,HML,RF' or "
            "',Mom'); is this a Ken French daily factor CSV?",
            path=source,
        )
    labels = [cell.strip() for cell in lines[start].split(",")[1:]]
    unknown = [lb for lb in labels if lb.lower() not in _PUBLISHED_NAMES]
    columns = [_PUBLISHED_NAMES.get(lb.lower(), lb) for lb in labels]
    if unknown or len(set(columns)) != len(columns):
        raise ImportFileError(
            f"{source}: unknown or repeated factor columns {unknown or labels} in the header; "
            f"known: {', '.join(sorted(_PUBLISHED_NAMES))}",
            path=source,
            problems=[(start + 1, f"bad columns {unknown or labels}")],
        )
    rows = _Rows(source=source, columns=columns)
    for index in range(start + 1, len(lines)):
        line, content = index + 1, lines[index].strip()
        if not content or content.lower().startswith("copyright"):
            break
        cells = content.split(",")
        if len(cells) != len(columns) + 1:
            rows.problems.append((line, f"{len(cells)} fields, the header has {len(columns) + 1}"))
            continue
        date, reason = _compact_date(cells[0].strip())
        if date is None:
            rows.problems.append((line, reason))
            continue
        rows.add(line, date, cells[1:])
    return rows.frame()


def read_french_csv(*paths: str | Path) -> pl.DataFrame:
    """Read one or more published Ken French daily CSVs and merge them on date.

    Parameters
    ----------
    *paths
        E.g. the 5-factor file and the momentum file, in order of preference.

    Returns
    -------
    pl.DataFrame
        :data:`FACTOR_SCHEMA`, fractions; see :func:`merge_factors`.

    Raises
    ------
    ImportFileError
        A file cannot be read or parsed.
    """
    if not paths:
        raise ValueError("read_french_csv needs at least one file")
    return merge_factors([parse_french_csv(_read_text(Path(p)), source=str(p)) for p in paths])


def read_factors(*paths: str | Path) -> pl.DataFrame:
    """Read factor files of either layout (normalised or published) and merge them.

    A file whose first line starts with ``date`` is read as the normalised CSV,
    anything else as a published Ken French CSV.
    """
    if not paths:
        raise ValueError("read_factors needs at least one file")
    frames = []
    for p in paths:
        text = _read_text(Path(p))
        if text.lstrip().lower().startswith("date"):
            frames.append(_parse_normalised(text, source=str(p)).frame())
        else:
            frames.append(parse_french_csv(text, source=str(p)))
    return merge_factors(frames)


def merge_factors(frames: Sequence[pl.DataFrame]) -> pl.DataFrame:
    """Merge factor frames on date into :data:`FACTOR_SCHEMA`.

    Each factor column is taken whole from the first frame that has it with at
    least one value (never mixed across files), and the dates are the union of all
    frames' dates: a date only some files cover has nulls in the other columns
    (the momentum file starts in 1926, the 5-factor file in 1963).
    """
    if not frames:
        raise ValueError("merge_factors needs at least one frame")
    owner: dict[str, int] = {}
    for name in FACTOR_COLUMNS:
        for i, frame in enumerate(frames):
            if name in frame.columns and frame[name].null_count() < frame.height:
                owner[name] = i
                break
    merged = (
        pl.concat([f.select(pl.col("date").cast(pl.Date)) for f in frames]).unique().sort("date")
    )
    for i, frame in enumerate(frames):
        taken = [name for name in FACTOR_COLUMNS if owner.get(name) == i]
        if taken:
            merged = merged.join(frame.select("date", *taken), on="date", how="left")
    return _complete(merged)


# --------------------------------------------------------------------- download


def download_french_factors(
    session: requests.Session | None = None,
    *,
    files: Iterable[str] = FRENCH_DAILY_ZIPS,
    base_url: str = FRENCH_FTP_URL,
    timeout: float = 30.0,
) -> pl.DataFrame:
    """Download the daily factor zips from the Ken French Data Library and parse them.

    Parameters
    ----------
    session
        ``requests`` session to use (tests mount a fake adapter); ``None``: a new
        one, closed afterwards.
    files
        Zip names under ``base_url``, in order of preference (see :func:`merge_factors`).
        Default: the 5-factor (2x3) daily file and the momentum daily file.
    base_url
        The library's ``ftp/`` folder.
    timeout
        Per-request timeout in seconds.

    Returns
    -------
    pl.DataFrame
        :data:`FACTOR_SCHEMA`, fractions, every CSV of every zip merged on date.

    Raises
    ------
    SourceTimeoutError
        The library did not answer (transient: try again later).
    RateLimitedError
        HTTP 429.
    SourceError
        Another HTTP error, or an answer that is not a zip with a CSV inside.
    ImportFileError
        A CSV inside a zip does not parse (``path`` is ``url!member``).
    """
    own = session is None
    http = requests.Session() if session is None else session
    try:
        frames: list[pl.DataFrame] = []
        for name in files:
            url = base_url.rstrip("/") + "/" + name
            for member, text in _zip_csvs(_download(http, url, timeout), url):
                frames.append(parse_french_csv(text, source=f"{url}!{member}"))
    finally:
        if own:
            http.close()
    if not frames:
        raise ValueError("download_french_factors needs at least one zip name in files")
    return merge_factors(frames)


def _download(session: requests.Session, url: str, timeout: float) -> bytes:
    try:
        response = session.get(url, timeout=timeout)
    except (requests.exceptions.Timeout, requests.exceptions.ConnectionError) as exc:
        raise SourceTimeoutError(
            f"the Ken French Data Library did not answer for {url} ({type(exc).__name__}); "
            "check the network connection and try again later"
        ) from exc
    except requests.exceptions.RequestException as exc:
        raise SourceError(f"could not download {url}: {type(exc).__name__}: {exc}") from exc
    if response.status_code == 429:
        raise RateLimitedError(
            f"the Ken French Data Library answered 'Too Many Requests' (HTTP 429) for {url}; "
            "wait a few minutes and try again"
        )
    if response.status_code >= 400:
        raise SourceError(
            f"the Ken French Data Library answered HTTP {response.status_code} for {url}; "
            f"the file may have been renamed: look for its daily CSV zip on {FRENCH_LIBRARY_PAGE}"
        )
    return response.content


def _zip_csvs(payload: bytes, url: str) -> list[tuple[str, str]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(payload))
    except zipfile.BadZipFile as exc:
        raise SourceError(
            f"{url} did not return a zip file ({len(payload)} bytes starting {payload[:20]!r}); "
            f"check the file name on {FRENCH_LIBRARY_PAGE}"
        ) from exc
    with archive:
        members = [n for n in archive.namelist() if n.lower().endswith(".csv")]
        if not members:
            raise SourceError(f"the zip from {url} holds no CSV file (it has {archive.namelist()})")
        return [(m, _decode(archive.read(m))) for m in members]


# ------------------------------------------------------------------------ helpers


def _read_text(path: Path) -> str:
    try:
        payload = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(
            f"cannot read the factor file {path}: {exc.strerror or exc}", path=str(path)
        ) from exc
    return _decode(payload)


def _decode(payload: bytes) -> str:
    try:
        return payload.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older library files are Latin-1 (a '©' in the footer); ASCII everywhere else.
        return payload.decode("latin-1")


def _compact_date(text: str) -> tuple[dt.date | None, str]:
    """``YYYYMMDD`` -> date, or ``None`` and the reason."""
    if text.isdigit() and len(text) == 6:
        return None, (
            f"date {text!r} is a month (YYYYMM): this looks like a monthly file; use the daily one"
        )
    if not (text.isdigit() and len(text) == 8):
        return None, f"date {text!r} is not YYYYMMDD"
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:])), ""
    except ValueError:
        return None, f"date {text!r} does not exist"


def _fraction(text: str) -> tuple[float | None, str | None]:
    """A published percent as a fraction (``None`` when missing), or why it is unreadable.

    The division is done in decimal, so the result is the double nearest to the
    published number over 100 (``"0.61"`` gives exactly the float ``0.0061``, where
    ``0.61 / 100`` would give ``0.0060999999999999995``).
    """
    stripped = text.strip()
    if stripped.lower() in _MISSING_TEXT:
        return None, None
    try:
        value = Decimal(stripped)
    except InvalidOperation:
        return None, f"{stripped!r} is not a number"
    if not value.is_finite():
        return None, f"{stripped!r} is not a finite number"
    if value in _MISSING_VALUES:
        return None, None
    return float(value.scaleb(-2)), None


def _complete(frame: pl.DataFrame) -> pl.DataFrame:
    """Add missing factor columns as nulls and put everything in schema order."""
    missing = [
        pl.lit(None, dtype=pl.Float64).alias(c) for c in FACTOR_COLUMNS if c not in frame.columns
    ]
    ordered = frame.with_columns(missing).select(list(FACTOR_SCHEMA))
    return ordered.cast(FACTOR_SCHEMA)  # type: ignore[arg-type]


def _import_error(source: str, problems: list[tuple[int, str]]) -> ImportFileError:
    shown = "; ".join(f"line {line}: {reason}" for line, reason in problems[:_MAX_SHOWN])
    more = f" (and {len(problems) - _MAX_SHOWN} more)" if len(problems) > _MAX_SHOWN else ""
    return ImportFileError(
        f"{source}: {len(problems)} bad row(s): {shown}{more}; fix or remove them and "
        "read the file again",
        path=source,
        problems=problems,
    )
