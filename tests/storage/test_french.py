"""Fama–French factor readers: our normalised CSV, the published CSVs, the zip downloader.

Expected values are taken from the raw CSV text (``float(cell) / 100``), not from
the code under test. The downloader runs against a fake ``requests`` transport that
serves zips built here in memory: no network.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import requests
from requests.adapters import BaseAdapter

from storage.errors import (
    ImportFileError,
    RateLimitedError,
    SourceError,
    SourceTimeoutError,
    Transient,
)
from storage.sources.french import (
    FACTOR_COLUMNS,
    FACTOR_SCHEMA,
    FRENCH_DAILY_ZIPS,
    FRENCH_FTP_URL,
    download_french_factors,
    merge_factors,
    parse_french_csv,
    read_factors,
    read_factors_csv,
    read_french_csv,
)

FIVE_HEADER = ",Mkt-RF,SMB,HML,RMW,CMA,RF"
THREE_HEADER = ",Mkt-RF,SMB,HML,RF"
MOM_HEADER = ",Mom   "
FOOTER = "Copyright 2026 Eugene F. Fama and Kenneth R. French"


# ------------------------------------------------------------------------ helpers


def published(header: str, rows: list[tuple[str, list[str]]], *, eol: str = "\n") -> str:
    """A daily factor CSV laid out like the library's: preamble, header, rows, footer."""
    lines = [
        "This file was created by using the 202601 CRSP database.",
        "The 1-month TBill return is from Ibbotson and Associates Inc.",
        "",
        header,
        *(f"{day},{','.join(f'{v:>8}' for v in values)}" for day, values in rows),
        "",
        FOOTER,
        "",
    ]
    return eol.join(lines)


def compact(day: str) -> str:
    return day.replace("-", "")


@pytest.fixture(scope="module")
def raw_rows(shared_data: Path) -> dict[str, dict[str, str]]:
    """The shared normalised file as text cells, keyed by ISO date."""
    with (shared_data / "ff_factors_daily.csv").open(newline="") as handle:
        return {row["date"]: row for row in csv.DictReader(handle)}


def expected(cells: dict[str, str], column: str) -> Any:
    """The published percent over 100 (to float rounding: the reader divides in decimal)."""
    return pytest.approx(float(cells[column]) / 100, rel=1e-12, abs=0)


def one(frame: pl.DataFrame, day: str) -> dict[str, Any]:
    rows = frame.filter(pl.col("date") == dt.date.fromisoformat(day)).rows(named=True)
    assert len(rows) == 1, f"{day}: {len(rows)} rows"
    return rows[0]


OCT_END = ["2025-10-27", "2025-10-28", "2025-10-29", "2025-10-30", "2025-10-31"]


# --------------------------------------------------------------- normalised file


@pytest.mark.shared_data
def test_shared_normalised_file(shared_data: Path, raw_rows: dict[str, dict[str, str]]) -> None:
    frame = read_factors_csv(shared_data / "ff_factors_daily.csv")
    assert frame.schema == pl.Schema(FACTOR_SCHEMA)
    assert frame.height == len(raw_rows) == 15751
    assert frame["date"].is_sorted()
    assert frame["date"].n_unique() == frame.height
    assert frame.null_count().row(0) == (0,) * 8
    for day in ["1963-07-01", "2025-10-31", "2026-01-30"]:
        row = one(frame, day)
        for column in FACTOR_COLUMNS:
            assert row[column] == expected(raw_rows[day], column), (day, column)
    row = one(frame, "2025-10-31")  # raw: 0.40,-0.07,-0.24,-1.31,0.18,-0.50,0.02
    assert (row["mkt_rf"], row["rmw"], row["mom"], row["rf"]) == (0.004, -0.0131, -0.005, 0.0002)
    assert one(frame, "2025-10-28")["hml"] == -0.0061  # not -0.61 / 100 == -0.0060999999999999995


def test_normalised_subset_of_columns_and_missing_values(tmp_path: Path) -> None:
    path = tmp_path / "ff.csv"
    path.write_text("date,mkt_rf,rf\n2025-10-30,-1.00,0.02\n2025-10-31,0.40,\n")
    frame = read_factors_csv(path)
    assert frame.schema == pl.Schema(FACTOR_SCHEMA)
    assert frame["mkt_rf"].to_list() == [-0.01, 0.004]
    assert frame["rf"].to_list() == [0.0002, None]
    assert frame["smb"].null_count() == 2


def test_normalised_bad_rows_are_reported_by_line(tmp_path: Path) -> None:
    path = tmp_path / "ff.csv"
    path.write_text(
        "date,mkt_rf,rf\n"
        "2025-10-30,-1.00,0.02\n"  # line 2 ok
        "2025/10/31,0.40,0.02\n"  # line 3 date layout
        "2025-10-31,abc,0.02\n"  # line 4 value
        "2025-02-30,0.1,0.02\n"  # line 5 impossible date
        "2025-10-30,0.1,0.02\n"  # line 6 repeated date
        "2025-11-03,0.1\n"  # line 7 short row
    )
    with pytest.raises(ImportFileError, match=r"ff\.csv: 5 bad row\(s\): line 3") as info:
        read_factors_csv(path)
    assert info.value.path == str(path)
    assert [line for line, _ in info.value.problems] == [3, 4, 5, 6, 7]
    reasons = dict(info.value.problems)
    assert "YYYY-MM-DD" in reasons[3]
    assert "mkt_rf" in reasons[4]
    assert "repeats line 2" in reasons[6]


def test_normalised_unknown_column(tmp_path: Path) -> None:
    path = tmp_path / "ff.csv"
    path.write_text("date,mkt_rf,beta\n2025-10-30,-1.00,1\n")
    with pytest.raises(ImportFileError, match=r"unknown or repeated columns \['beta'\]"):
        read_factors_csv(path)


def test_missing_file_is_an_import_error(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="cannot read the factor file") as info:
        read_factors_csv(tmp_path / "absent.csv")
    assert info.value.path.endswith("absent.csv")


# ---------------------------------------------------------------- published files


def five_factor_text(raw_rows: dict[str, dict[str, str]], days: list[str], eol: str = "\n") -> str:
    columns = ["mkt_rf", "smb", "hml", "rmw", "cma", "rf"]
    return published(
        FIVE_HEADER,
        [(compact(d), [raw_rows[d][c] for c in columns]) for d in days],
        eol=eol,
    )


@pytest.mark.shared_data
def test_published_five_factor_file(tmp_path: Path, raw_rows: dict[str, dict[str, str]]) -> None:
    path = tmp_path / "F-F_Research_Data_5_Factors_2x3_daily.CSV"
    path.write_bytes(five_factor_text(raw_rows, OCT_END, eol="\r\n").encode())
    frame = read_french_csv(path)
    assert frame.schema == pl.Schema(FACTOR_SCHEMA)
    assert frame["date"].to_list() == [dt.date.fromisoformat(d) for d in OCT_END]
    assert frame["mom"].null_count() == len(OCT_END)  # no momentum in this file
    for day in OCT_END:
        row = one(frame, day)
        for column in ["mkt_rf", "smb", "hml", "rmw", "cma", "rf"]:
            assert row[column] == expected(raw_rows[day], column)


@pytest.mark.shared_data
def test_published_five_factor_plus_momentum_merged(
    tmp_path: Path, raw_rows: dict[str, dict[str, str]]
) -> None:
    five = tmp_path / "five.CSV"
    five.write_text(five_factor_text(raw_rows, OCT_END[1:]))
    mom = tmp_path / "F-F_Momentum_Factor_daily.CSV"
    mom.write_text(
        published(
            MOM_HEADER,
            [(compact(d), [raw_rows[d]["mom"]]) for d in OCT_END[:-1]]
            + [(compact(OCT_END[-1]), ["-99.99"])],  # the library's missing-value code
        )
    )
    frame = read_french_csv(five, mom)
    assert frame["date"].to_list() == [dt.date.fromisoformat(d) for d in OCT_END]  # union
    first = one(frame, OCT_END[0])  # only in the momentum file
    assert first["mom"] == expected(raw_rows[OCT_END[0]], "mom")
    assert first["mkt_rf"] is None
    for day in OCT_END[1:-1]:
        row = one(frame, day)
        for column in FACTOR_COLUMNS:
            assert row[column] == expected(raw_rows[day], column), (day, column)
    last = one(frame, OCT_END[-1])
    assert last["mom"] is None
    assert last["mkt_rf"] == expected(raw_rows[OCT_END[-1]], "mkt_rf")

    # Same result whatever the layout of each input.
    normalised = tmp_path / "mom.csv"
    normalised.write_text(
        "date,mom\n"
        + "".join(f"{d},{raw_rows[d]['mom']}\n" for d in OCT_END[:-1])
        + f"{OCT_END[-1]},\n"
    )
    assert read_factors(five, normalised).equals(frame)


def test_three_factor_file_leaves_rmw_cma_null(tmp_path: Path) -> None:
    text = published(THREE_HEADER, [("20251031", ["0.41", "-0.30", "-0.20", "0.02"])])
    frame = merge_factors([parse_french_csv(text)])
    row = frame.row(0, named=True)
    assert row["date"] == dt.date(2025, 10, 31)
    assert (row["mkt_rf"], row["smb"], row["hml"], row["rf"]) == (0.0041, -0.003, -0.002, 0.0002)
    assert (row["rmw"], row["cma"], row["mom"]) == (None, None, None)


def test_first_file_wins_a_shared_column_whole(tmp_path: Path) -> None:
    five = parse_french_csv(published(FIVE_HEADER, [("20251030", ["1", "2", "3", "4", "5", "6"])]))
    three = parse_french_csv(
        published(
            THREE_HEADER, [("20251030", ["9", "9", "9", "9"]), ("20251031", ["8", "8", "8", "8"])]
        )
    )
    frame = merge_factors([five, three])
    assert frame["smb"].to_list() == [0.02, None]  # never SMB3 filling SMB5's gaps
    assert frame["rf"].to_list() == [0.06, None]
    assert merge_factors([three, five])["smb"].to_list() == [0.09, 0.08]


def test_published_parse_only_the_block_under_the_header() -> None:
    text = published(MOM_HEADER, [("20251030", ["0.5"])]) + "\n,Mom\n20251031, 9\n"
    frame = parse_french_csv(text)
    assert frame.columns == ["date", "mom"]
    assert frame["mom"].to_list() == [0.005]


def test_published_bad_rows() -> None:
    text = published(
        THREE_HEADER,
        [
            ("20251030", ["0.1", "0.1", "0.1", "0.1"]),
            ("2025103", ["0.1", "0.1", "0.1", "0.1"]),  # line 6
            ("20251031", ["0.1", "x", "0.1", "0.1"]),  # line 7
            ("20251032", ["0.1", "0.1", "0.1", "0.1"]),  # line 8
        ],
    ).replace("20251032,", "20251032,0.1,")  # and one field too many on line 8
    with pytest.raises(ImportFileError, match=r"x\.CSV: 3 bad row\(s\)") as info:
        parse_french_csv(text, source="x.CSV")
    assert [line for line, _ in info.value.problems] == [6, 7, 8]
    assert "YYYYMMDD" in info.value.problems[0][1]
    assert "smb" in info.value.problems[1][1]
    assert "6 fields" in info.value.problems[2][1]


def test_monthly_file_is_recognised() -> None:
    text = published(THREE_HEADER, [("196307", ["-0.39", "-0.48", "-0.81", "0.27"])])
    with pytest.raises(ImportFileError, match="looks like a monthly file; use the daily one"):
        parse_french_csv(text, source="F-F_Research_Data_Factors.CSV")


def test_no_header_and_unknown_columns() -> None:
    with pytest.raises(ImportFileError, match="no header line starting with ','"):
        parse_french_csv("date,mkt_rf\n2025-10-31,0.4\n", source="x")
    with pytest.raises(ImportFileError, match=r"unknown or repeated factor columns \['Beta'\]"):
        parse_french_csv(published(",Mkt-RF,Beta", [("20251031", ["1", "2"])]))
    with pytest.raises(ImportFileError, match="no data rows"):
        parse_french_csv(published(MOM_HEADER, []))


# ---------------------------------------------------------------------- download


def zipped(member: str, text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, text.replace("\n", "\r\n"))
    return buffer.getvalue()


class FakeLibrary(BaseAdapter):
    """Serves ``{url: bytes | int status | exception class}``; 404 for anything else."""

    def __init__(self, routes: dict[str, bytes | int | type[Exception]]) -> None:
        super().__init__()
        self.routes = routes
        self.urls: list[str] = []

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        url = request.url or ""
        self.urls.append(url)
        route = self.routes.get(url, 404)
        if isinstance(route, type):
            raise route(f"fake failure for {url}")
        response = requests.Response()
        response.url, response.request = url, request
        if isinstance(route, int):
            response.status_code, response._content = route, b""
        else:
            response.status_code, response._content = 200, route
        return response

    def close(self) -> None:
        """Nothing to release."""


def library_session(
    routes: dict[str, bytes | int | type[Exception]],
) -> tuple[requests.Session, FakeLibrary]:
    adapter = FakeLibrary(routes)
    session = requests.Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session, adapter


FIVE_URL = FRENCH_FTP_URL + FRENCH_DAILY_ZIPS[0]
MOM_URL = FRENCH_FTP_URL + FRENCH_DAILY_ZIPS[1]


@pytest.mark.shared_data
def test_download_builds_the_merged_frame(raw_rows: dict[str, dict[str, str]]) -> None:
    five = zipped("F-F_Research_Data_5_Factors_2x3_daily.CSV", five_factor_text(raw_rows, OCT_END))
    mom = zipped(
        "F-F_Momentum_Factor_daily.CSV",
        published(MOM_HEADER, [(compact(d), [raw_rows[d]["mom"]]) for d in OCT_END]),
    )
    session, adapter = library_session({FIVE_URL: five, MOM_URL: mom})
    frame = download_french_factors(session)
    assert adapter.urls == [FIVE_URL, MOM_URL]
    assert frame.schema == pl.Schema(FACTOR_SCHEMA)
    assert frame.height == len(OCT_END)
    for day in OCT_END:
        row = one(frame, day)
        for column in FACTOR_COLUMNS:
            assert row[column] == expected(raw_rows[day], column), (day, column)


def test_download_http_error_names_the_url() -> None:
    session, _ = library_session({})
    with pytest.raises(SourceError, match=r"answered HTTP 404 for https://.*5_Factors.*renamed"):
        download_french_factors(session)


def test_download_rate_limited_and_timeout_are_transient() -> None:
    session, _ = library_session({FIVE_URL: 429})
    with pytest.raises(RateLimitedError, match="HTTP 429"):
        download_french_factors(session)
    session, _ = library_session({FIVE_URL: requests.exceptions.ConnectTimeout})
    with pytest.raises(SourceTimeoutError, match="did not answer") as info:
        download_french_factors(session)
    assert isinstance(info.value, Transient)
    assert isinstance(info.value.__cause__, requests.exceptions.ConnectTimeout)


def test_download_not_a_zip_or_no_csv() -> None:
    session, _ = library_session({FIVE_URL: b"<html>moved</html>"})
    with pytest.raises(SourceError, match="did not return a zip file"):
        download_french_factors(session, files=[FRENCH_DAILY_ZIPS[0]])
    session, _ = library_session({FIVE_URL: zipped("readme.txt", "hello")})
    with pytest.raises(SourceError, match="holds no CSV file"):
        download_french_factors(session, files=[FRENCH_DAILY_ZIPS[0]])


def test_download_bad_csv_names_url_and_member() -> None:
    bad = zipped("F-F_Momentum_Factor_daily.CSV", published(MOM_HEADER, [("2025103", ["1"])]))
    session, _ = library_session({MOM_URL: bad})
    with pytest.raises(ImportFileError, match="YYYYMMDD") as info:
        download_french_factors(session, files=[FRENCH_DAILY_ZIPS[1]])
    assert info.value.path == f"{MOM_URL}!F-F_Momentum_Factor_daily.CSV"
