"""Importing a class roster from a CSV file (columns ``name`` and ``year_level``).

What the file may be, as spreadsheets save it: UTF-8 with or without a byte order
mark, UTF-16 with one, or Windows-1252; commas, semicolons or tabs between fields;
CRLF or LF line ends; quoted fields; header names in any case and order (``Year
Level`` and ``year-level`` are ``year_level``; ``student_name`` is ``name``), other
columns ignored; blank lines skipped. A year level is a number from 0 to 13, ``Year 3``
or ``Y3``, or ``R``/``K``/``Reception``/``Kindergarten`` for 0.

The whole file is checked before anything is stored: a file with any bad row imports
nothing, and every bad row is reported by its line number (the header is line 1).

Importing is idempotent: rows that match students already in the class (the same name,
ignoring case and spacing, and year level) are not created again, counted as a
multiset so that two children of the same name in one file are two students. Sending
the same file twice creates the students once; the second answer lists them as
``existing``, without PINs (those are shown only once).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from core.context import Context
from core.errors import DomainError, Validation
from models.roster import STUDENT_NAME_LENGTH, Student
from resolvers.roster import (
    MAX_STUDENTS_PER_CLASS,
    NewStudent,
    StudentIn,
    add_students,
    get_class_or_raise,
    with_usernames,
)

MAX_ROSTER_BYTES = 256 * 1024
MAX_ROSTER_ROWS = MAX_STUDENTS_PER_CLASS
MAX_PROBLEMS = 50
_NAME_HEADERS = {"name", "student_name", "student", "full_name"}
_YEAR_HEADERS = {"year_level", "yearlevel", "year", "grade", "grade_level"}
_YEAR = re.compile(r"(?:year|yr|y|grade)?\s*0*(\d{1,2})", re.IGNORECASE)
_YEAR_ZERO = {"r", "k", "reception", "kindergarten", "prep", "foundation"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class RosterRow:
    line: int
    name: str
    year_level: int


@dataclass(frozen=True)
class ExistingStudent:
    line: int
    student: Student
    username: str


@dataclass(frozen=True)
class ImportResult:
    created: list[NewStudent]
    existing: list[ExistingStudent]


def _problem(line: int, field: str, problem: str) -> dict:
    return {"line": line, "field": field, "problem": problem}


def _refuse(problems: list[dict]) -> Validation:
    return Validation("The roster has errors; nothing was imported",
                      details={"rows": problems[:MAX_PROBLEMS],
                               "error_count": len(problems)})


def _decode(content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError:
            raise _refuse([_problem(1, "file", "not valid UTF-16 text")]) from None
    if b"\x00" in content:
        raise _refuse([_problem(1, "file", "not a text file")])
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def _header_key(value: str) -> str:
    return re.sub(r"[\s\-]+", "_", value.strip().lower())


def _columns(header_line: str) -> tuple[str, int, int]:
    """The delimiter and the positions of the name and year level columns."""
    for delimiter in (",", ";", "\t"):
        header = [_header_key(v) for v in next(csv.reader([header_line],
                                                          delimiter=delimiter), [])]
        names = [i for i, v in enumerate(header) if v in _NAME_HEADERS]
        years = [i for i, v in enumerate(header) if v in _YEAR_HEADERS]
        if names and years:
            return delimiter, names[0], years[0]
    raise _refuse([_problem(1, "header", "the first line must name the columns name and "
                                        "year_level")])


def _year_level(value: str) -> int | None:
    value = value.strip()
    if value.lower() in _YEAR_ZERO:
        return 0
    match = _YEAR.fullmatch(value)
    if match is None or int(match.group(1)) > 13:
        return None
    return int(match.group(1))


def parse_roster(content: bytes) -> list[RosterRow]:
    """The rows of a roster file; Validation listing every bad row by line."""
    if len(content) > MAX_ROSTER_BYTES:
        raise DomainError(f"A roster file is at most {MAX_ROSTER_BYTES // 1024} KiB",
                          status=413)
    text = _decode(content)
    first_line = text.split("\n", 1)[0].strip("\r")
    if not first_line.strip():
        raise _refuse([_problem(1, "file", "the file is empty")])
    delimiter, name_at, year_at = _columns(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[RosterRow] = []
    problems: list[dict] = []
    try:
        next(reader)
        for record in reader:
            line = reader.line_num
            if not any(value.strip() for value in record):
                continue
            name = " ".join(record[name_at].split()) if name_at < len(record) else ""
            year_text = record[year_at] if year_at < len(record) else ""
            year = _year_level(year_text)
            if not name:
                problems.append(_problem(line, "name", "missing"))
            elif len(name) > STUDENT_NAME_LENGTH:
                problems.append(_problem(line, "name",
                                         f"longer than {STUDENT_NAME_LENGTH} characters"))
            elif _CONTROL.search(name) or "\ufffd" in name:
                problems.append(_problem(line, "name", "contains characters a name cannot"))
            if year is None:
                problems.append(_problem(line, "year_level", "missing" if not year_text.strip()
                                         else "not a year level from 0 to 13"))
            if name and year is not None:
                rows.append(RosterRow(line=line, name=name, year_level=year))
            if len(rows) + len(problems) > MAX_ROSTER_ROWS * 2:
                break
    except csv.Error as exc:
        problems.append(_problem(reader.line_num, "file", f"unreadable CSV ({exc})"[:120]))
    if problems:
        raise _refuse(problems)
    if not rows:
        raise _refuse([_problem(2, "file", "the file has no students")])
    if len(rows) > MAX_ROSTER_ROWS:
        raise _refuse([_problem(rows[MAX_ROSTER_ROWS].line, "file",
                                f"a roster holds at most {MAX_ROSTER_ROWS} students")])
    return rows


def _key(name: str, year_level: int) -> tuple[str, int]:
    return " ".join(name.split()).casefold(), year_level


async def import_roster(ctx: Context, *, class_id: int, content: bytes) -> ImportResult:
    """Create the students of a roster file in the viewer's class (see the module)."""
    rows = parse_roster(content)
    async with ctx.db.transaction() as session:
        school_class = await get_class_or_raise(ctx, session, class_id, lock=True)
        present = (await session.execute(with_usernames().where(
            Student.class_id == class_id).order_by(Student.id))).all()
        unmatched: dict[tuple[str, int], list[tuple[Student, str]]] = {}
        for student, username in present:
            unmatched.setdefault(_key(student.name, student.year_level), []).append(
                (student, username))
        existing: list[ExistingStudent] = []
        new_rows: list[RosterRow] = []
        for row in rows:
            matches = unmatched.get(_key(row.name, row.year_level))
            if matches:
                student, username = matches.pop(0)
                existing.append(ExistingStudent(line=row.line, student=student,
                                                username=username))
            else:
                new_rows.append(row)
        created = await add_students(ctx, session, school_class, [
            StudentIn(name=row.name, year_level=row.year_level) for row in new_rows])
    return ImportResult(created=created, existing=existing)

