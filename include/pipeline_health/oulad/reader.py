"""Read and validate the seven OULAD CSV files of a folder, for any module and presentation.

Everything is read and checked before anything is loaded: a missing file, a missing
column or a value that does not parse stops the import with an `OuladInputError` naming
the file, the line and the column. Only the columns the mapping uses are required.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pipeline_health.oulad.calendar import PRESENTATION_PATTERN, presentation_day0

# file -> the columns the importer reads (other columns are allowed and ignored).
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "courses.csv": ("code_module", "code_presentation", "module_presentation_length"),
    "assessments.csv": ("code_module", "code_presentation", "id_assessment", "assessment_type"),
    "vle.csv": ("id_site", "code_module", "code_presentation", "activity_type"),
    "studentInfo.csv": ("code_module", "code_presentation", "id_student", "gender", "imd_band",
                        "disability", "final_result"),
    "studentRegistration.csv": ("code_module", "code_presentation", "id_student", "date_registration",
                                "date_unregistration"),
    "studentAssessment.csv": ("id_assessment", "id_student", "date_submitted", "is_banked", "score"),
    "studentVle.csv": ("code_module", "code_presentation", "id_student", "date", "sum_click"),
}
MISSING = ("", "?")  # OULAD writes a missing value as an empty field ('?' in some copies)
GENDERS = {"M": "Male", "F": "Female"}
FINAL_RESULTS = ("Pass", "Distinction", "Fail", "Withdrawn")
IMD_BAND = re.compile(r"^(\d{1,2})-(\d{2,3})%?$")  # '0-10%' ... '90-100%' (and '10-20' as in OULAD)

PresentationKey = tuple[str, str]  # (code_module, code_presentation)
StudentKey = tuple[str, str, str]  # (code_module, code_presentation, id_student)


class OuladInputError(ValueError):
    """The OULAD input is unusable; the message names the file, line and column."""

    def __init__(self, file: str, message: str, line: int | None = None, column: str | None = None):
        where = file + (f" line {line}" if line is not None else "")
        where += f", column {column}" if column else ""
        super().__init__(f"{where}: {message}")
        self.file, self.line, self.column = file, line, column


@dataclass(frozen=True)
class Presentation:
    module: str
    presentation: str
    length_days: int

    @property
    def key(self) -> PresentationKey:
        return (self.module, self.presentation)

    @property
    def day0(self) -> date:
        return presentation_day0(self.presentation)


@dataclass(frozen=True)
class Student:
    module: str
    presentation: str
    id_student: str
    gender: str  # 'Male' | 'Female'
    imd_quintile: int | None
    has_disability: bool
    final_result: str
    date_registration: int | None = None
    date_unregistration: int | None = None

    @property
    def key(self) -> StudentKey:
        return (self.module, self.presentation, self.id_student)


@dataclass(frozen=True)
class Submission:
    student: StudentKey
    id_assessment: str
    date_submitted: int
    is_banked: bool
    score: float | None


@dataclass
class OuladData:
    folder: Path
    presentations: dict[PresentationKey, Presentation]
    students: dict[StudentKey, Student]
    submissions: list[Submission]
    # Presentation weeks (day // 7, from day 0) with any click before the student left.
    active_weeks: dict[StudentKey, set[int]] = field(default_factory=dict)
    vle_rows: int = 0
    vle_pages: int = 0


class _Rows:
    """One CSV file: header check, then rows as dicts with their line number."""

    def __init__(self, folder: Path, name: str):
        self.name = name
        self.path = folder / name
        if not self.path.is_file():
            raise OuladInputError(name, f"file not found in {folder} (an OULAD folder holds "
                                  f"{', '.join(REQUIRED_COLUMNS)})")

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        index, rows = self.raw()
        for line, values in rows:
            yield line, {c: values[i].strip() for c, i in index.items()}

    def raw(self) -> tuple[dict[str, int], Iterator[tuple[int, list[str]]]]:
        """(column -> position, rows as lists): the fast path for studentVle.csv's millions of rows."""
        handle = self.path.open(newline="", encoding="utf-8-sig")
        reader = csv.reader(handle)
        header = [h.strip() for h in next(reader, [])]
        missing = [c for c in REQUIRED_COLUMNS[self.name] if c not in header]
        if missing:
            handle.close()
            raise OuladInputError(self.name, f"missing column(s) {missing} (header: {header})", line=1)

        def rows() -> Iterator[tuple[int, list[str]]]:
            with handle:
                for values in reader:
                    if not values:
                        continue
                    if len(values) != len(header):
                        raise OuladInputError(self.name, f"{len(values)} fields, the header has "
                                              f"{len(header)}", line=reader.line_num)
                    yield reader.line_num, values

        return {c: header.index(c) for c in REQUIRED_COLUMNS[self.name]}, rows()

    def error(self, line: int, column: str, message: str) -> OuladInputError:
        return OuladInputError(self.name, message, line=line, column=column)

    def integer(self, line: int, row: dict[str, str], column: str, optional: bool = False) -> int | None:
        text = row[column]
        if text in MISSING:
            if optional:
                return None
            raise self.error(line, column, "value missing")
        try:
            number = float(text)
        except ValueError:
            raise self.error(line, column, f"{text!r} is not a whole number") from None
        if not number.is_integer():
            raise self.error(line, column, f"{text!r} is not a whole number")
        return int(number)

    def number(self, line: int, row: dict[str, str], column: str) -> float | None:
        text = row[column]
        if text in MISSING:
            return None
        try:
            return float(text)
        except ValueError:
            raise self.error(line, column, f"{text!r} is not a number") from None

    def choice(self, line: int, row: dict[str, str], column: str, allowed: Collection[str]) -> str:
        if row[column] not in allowed:
            raise self.error(line, column, f"{row[column]!r} is not one of {sorted(allowed)}")
        return row[column]

    def required(self, line: int, row: dict[str, str], column: str) -> str:
        if row[column] in MISSING:
            raise self.error(line, column, "value missing")
        return row[column]


def read_oulad(folder: Path | str, modules: Collection[str] = (), presentations: Collection[str] = (),
               learning_days: Callable[[Student, Presentation], tuple[int, int]] | None = None,
               activity: bool = True) -> OuladData:
    """Read the OULAD files of `folder`, keeping the selected modules/presentations (all by default).

    With `activity=False` only courses, students and registrations are read (what the
    evaluation's labels need), not the assessment and VLE files.

    `learning_days(student, presentation)` returns (first day in learning, first day out of
    learning); clicks outside it do not count as activity. Defaults to the mapping's timeline.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise OuladInputError(str(folder), "not a folder")
    if learning_days is None:
        from pipeline_health.oulad.timeline import learning_days
    files = {name: _Rows(folder, name) for name in REQUIRED_COLUMNS}  # every file present first

    def selected(module: str, presentation: str) -> bool:
        return (not modules or module in modules) and (not presentations or presentation in presentations)

    data = OuladData(folder, _read_courses(files["courses.csv"], selected), {}, [])
    if not data.presentations:
        raise OuladInputError("courses.csv", f"no presentation matches module(s) {sorted(modules) or 'any'} "
                              f"and presentation(s) {sorted(presentations) or 'any'}")
    _read_students(files["studentInfo.csv"], data, selected)
    registration = _read_registrations(files["studentRegistration.csv"], data, selected)
    for key, student in data.students.items():
        if key not in registration:
            raise OuladInputError("studentRegistration.csv", f"no row for student {key[2]} of {key[0]} "
                                  f"{key[1]} (present in studentInfo.csv)")
        reg, unreg = registration[key]
        data.students[key] = Student(**{**student.__dict__, "date_registration": reg,
                                        "date_unregistration": unreg})
    if not activity:
        return data
    assessments = _read_assessments(files["assessments.csv"], data)
    _read_submissions(files["studentAssessment.csv"], data, assessments, selected)
    data.vle_pages = sum(1 for _ in _pages(files["vle.csv"], selected))
    _read_clicks(files["studentVle.csv"], data, selected, learning_days)
    return data


def _read_courses(rows: _Rows, selected: Callable[[str, str], bool]) -> dict[PresentationKey, Presentation]:
    out: dict[PresentationKey, Presentation] = {}
    for line, row in rows:
        module = rows.required(line, row, "code_module")
        presentation = rows.required(line, row, "code_presentation")
        if not PRESENTATION_PATTERN.match(presentation):
            raise rows.error(line, "code_presentation", f"{presentation!r} is not YYYYB or YYYYJ")
        length = rows.integer(line, row, "module_presentation_length")
        if length is None or length < 1:
            raise rows.error(line, "module_presentation_length", f"{length} is not a positive length")
        if (module, presentation) in out:
            raise rows.error(line, "code_presentation", f"{module} {presentation} appears twice")
        if selected(module, presentation):
            out[(module, presentation)] = Presentation(module, presentation, length)
    return out


def _presentation_of(rows: _Rows, line: int, row: dict[str, str], data: OuladData,
                     selected: Callable[[str, str], bool]) -> PresentationKey | None:
    """The row's presentation if selected; an error when it is selected but not in courses.csv."""
    key = (rows.required(line, row, "code_module"), rows.required(line, row, "code_presentation"))
    if not selected(*key):
        return None
    if key not in data.presentations:
        raise rows.error(line, "code_presentation", f"{key[0]} {key[1]} is not in courses.csv")
    return key


def _read_students(rows: _Rows, data: OuladData, selected: Callable[[str, str], bool]) -> None:
    for line, row in rows:
        key = _presentation_of(rows, line, row, data, selected)
        if key is None:
            continue
        student = rows.required(line, row, "id_student")
        if (*key, student) in data.students:
            raise rows.error(line, "id_student", f"student {student} appears twice in {key[0]} {key[1]}")
        data.students[(*key, student)] = Student(
            module=key[0], presentation=key[1], id_student=student,
            gender=GENDERS[rows.choice(line, row, "gender", GENDERS)],
            imd_quintile=_imd_quintile(rows, line, row),
            has_disability=rows.choice(line, row, "disability", ("Y", "N")) == "Y",
            final_result=rows.choice(line, row, "final_result", FINAL_RESULTS))
    if not data.students:
        raise OuladInputError(rows.name, "no student in the selected presentation(s)")


def _imd_quintile(rows: _Rows, line: int, row: dict[str, str]) -> int | None:
    """IMD decile band -> quintile: '0-10%' and '10-20%' -> 1 ... '80-90%' and '90-100%' -> 5."""
    text = row["imd_band"]
    if text in MISSING:
        return None
    match = IMD_BAND.match(text)
    low = int(match.group(1)) if match else -1
    if match is None or low % 10 or low > 90 or int(match.group(2)) != low + 10:
        raise rows.error(line, "imd_band", f"{text!r} is not an IMD decile band such as '0-10%'")
    return low // 20 + 1


def _read_registrations(rows: _Rows, data: OuladData, selected: Callable[[str, str], bool]
                        ) -> dict[StudentKey, tuple[int | None, int | None]]:
    out: dict[StudentKey, tuple[int | None, int | None]] = {}
    for line, row in rows:
        key = _presentation_of(rows, line, row, data, selected)
        if key is None:
            continue
        student_key = (*key, rows.required(line, row, "id_student"))
        if student_key not in data.students:
            raise rows.error(line, "id_student", f"student {student_key[2]} of {key[0]} {key[1]} is not "
                             "in studentInfo.csv")
        if student_key in out:
            raise rows.error(line, "id_student", f"student {student_key[2]} appears twice")
        out[student_key] = (rows.integer(line, row, "date_registration", optional=True),
                            rows.integer(line, row, "date_unregistration", optional=True))
    return out


def _read_assessments(rows: _Rows, data: OuladData) -> dict[str, PresentationKey]:
    """Every assessment id -> its presentation (all modules: submissions are filtered later)."""
    out: dict[str, PresentationKey] = {}
    for line, row in rows:
        assessment = rows.required(line, row, "id_assessment")
        if assessment in out:
            raise rows.error(line, "id_assessment", f"assessment {assessment} appears twice")
        out[assessment] = (rows.required(line, row, "code_module"),
                           rows.required(line, row, "code_presentation"))
    return out


def _read_submissions(rows: _Rows, data: OuladData, assessments: dict[str, PresentationKey],
                      selected: Callable[[str, str], bool]) -> None:
    for line, row in rows:
        assessment = rows.required(line, row, "id_assessment")
        if assessment not in assessments:
            raise rows.error(line, "id_assessment", f"assessment {assessment} is not in assessments.csv")
        key = assessments[assessment]
        if not selected(*key):
            continue
        student_key = (*key, rows.required(line, row, "id_student"))
        if student_key not in data.students:
            raise rows.error(line, "id_student", f"student {student_key[2]} of {key[0]} {key[1]} is not "
                             "in studentInfo.csv")
        score = rows.number(line, row, "score")
        if score is not None and not 0 <= score <= 100:
            raise rows.error(line, "score", f"{score} is outside 0-100")
        data.submissions.append(Submission(
            student=student_key, id_assessment=assessment,
            date_submitted=rows.integer(line, row, "date_submitted"),
            is_banked=rows.choice(line, row, "is_banked", ("0", "1")) == "1",
            score=score))


def _pages(rows: _Rows, selected: Callable[[str, str], bool]) -> Iterator[str]:
    for line, row in rows:
        if selected(rows.required(line, row, "code_module"), rows.required(line, row, "code_presentation")):
            yield rows.required(line, row, "id_site")


def _read_clicks(rows: _Rows, data: OuladData, selected: Callable[[str, str], bool],
                 learning_days: Callable[[Student, Presentation], tuple[int, int]]) -> None:
    windows = {key: learning_days(s, data.presentations[key[:2]]) for key, s in data.students.items()}
    index, raw_rows = rows.raw()
    i_module, i_presentation, i_student, i_day, i_clicks = (
        index[c] for c in ("code_module", "code_presentation", "id_student", "date", "sum_click"))
    for line, values in raw_rows:
        module, presentation = values[i_module].strip(), values[i_presentation].strip()
        if not selected(module, presentation):
            continue
        key = (module, presentation, values[i_student].strip())
        window = windows.get(key)
        try:  # fast path; the slow one below names the bad value
            day, clicks = int(values[i_day]), int(values[i_clicks])
        except ValueError:
            row = {c: values[i].strip() for c, i in index.items()}
            day, clicks = rows.integer(line, row, "date"), rows.integer(line, row, "sum_click")
        if window is None:
            row = {c: values[i].strip() for c, i in index.items()}
            _presentation_of(rows, line, row, data, selected)  # names a presentation missing in courses
            raise rows.error(line, "id_student", f"student {key[2]} of {module} {presentation} is not in "
                             "studentInfo.csv")
        if clicks is None or clicks < 0:
            raise rows.error(line, "sum_click", f"{clicks} is not a click count")
        data.vle_rows += 1
        if clicks > 0 and 0 <= day and window[0] <= day < window[1]:
            data.active_weeks.setdefault(key, set()).add(day // 7)
