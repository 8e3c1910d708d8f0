"""Tables of the annex's shape, from XLSX, CSV or DOCX, read into a catalog.

Reading happens in two steps. ``read_table_file`` turns a file into rows of
cell texts with their places (``TableSource``: small, serialisable, so the web
preview can carry it between requests). ``interpret`` recognises the columns
(requirement / criterion / indicator, methods named in one column or ticked in
one column per method, an optional direction column), the directions (a
paragraph «Напрям N. …» before a table, or a row of one merged cell), codes at
the start of cells and merged cells repeating a requirement or criterion down
the rows, and builds the tree. Every refusal names its row and cell.
"""

import csv
import io
import re
import zipfile
from dataclasses import asdict, dataclass, field

from dozq.catalog.importers.methods import method_for_header, methods_in_text, tick
from dozq.catalog.models import ItemKind, Method, WordingStatus, ordered_methods
from dozq.catalog.tree import ImportFailure, Node, ParsedCatalog, normalise_text

MAX_ROWS = 5000
MAX_COLUMNS = 40
MAX_CELL = 4000
#: Zip archives (DOCX, XLSX) are checked before they are opened.
MAX_ZIP_MEMBERS = 2000
MAX_ZIP_BYTES = 100 * 1024 * 1024
META_SHEET = "Відомості"

# Column roles.
IGNORE = "ignore"
DIRECTION = "direction"
REQUIREMENT = "requirement"
CRITERION = "criterion"
INDICATOR = "indicator"
METHODS = "methods"
TICK_PREFIX = "method:"
LEVELS = (REQUIREMENT, CRITERION, INDICATOR)

ROLE_LABELS = {
    IGNORE: "не імпортувати",
    DIRECTION: "напрям",
    REQUIREMENT: "вимога (правило)",
    CRITERION: "критерій",
    INDICATOR: "індикатор",
    METHODS: "методи (назви в одному стовпці)",
    **{f"{TICK_PREFIX}{method.value}": f"позначка методу: {method.label}" for method in Method},
}

DIRECTION_RE = re.compile(
    r"^\s*напрям(?:ок)?\s*(?:№\s*)?(\d+)\s*[.:)–—-]?\s*(.*)$", re.IGNORECASE | re.DOTALL
)
_SEGMENT = r"(?:\d+|[СCсc]\d+)"
CODE_RE = re.compile(
    r"^\s*(?:(?:вимога|правило|критерій|індикатор)\s+)?"
    rf"(?:(?P<long>\d+(?:\.{_SEGMENT})+)\.?|(?P<short>\d+)\.)\s+(?P<text>\S.*)$",
    re.IGNORECASE | re.DOTALL,
)


@dataclass
class SourceRow:
    place: str
    cells: list[str]
    #: Spreadsheet cell names («C7»), when the file has them.
    refs: list[str] | None = None
    #: A paragraph of a document, outside any table.
    paragraph: bool = False
    table: int = 0


@dataclass
class TableSource:
    kind: str
    filename: str
    rows: list[SourceRow]
    #: Rows of the «Відомості» sheet written by dozq's own XLSX export.
    meta: list[SourceRow] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "TableSource":
        return cls(
            kind=data["kind"],
            filename=data["filename"],
            rows=[SourceRow(**row) for row in data["rows"]],
            meta=[SourceRow(**row) for row in data.get("meta", [])],
        )


@dataclass
class Column:
    index: int
    header: str
    role: str


@dataclass
class Recognition:
    """What was recognised: shown in the preview, corrected by the user."""

    columns: list[Column]
    header_place: str = ""

    @property
    def roles(self) -> list[str]:
        return [column.role for column in self.columns]


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def _check_zip(data: bytes, what: str) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ImportFailure(f"файл пошкоджено або це не {what}.") from None
    members = archive.infolist()
    if len(members) > MAX_ZIP_MEMBERS or sum(m.file_size for m in members) > MAX_ZIP_BYTES:
        raise ImportFailure(f"файл {what} завеликий для каталогу після розпакування.")
    return archive


def _limit(rows: list, place: str) -> None:
    if len(rows) > MAX_ROWS:
        raise ImportFailure(f"у таблиці понад {MAX_ROWS} рядків.", place)


def read_csv(data: bytes, filename: str) -> TableSource:
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1251 decodes any byte string but 0x98
        raise ImportFailure("не вдалося прочитати кодування файлу; збережіть його як UTF-8.")
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = []
    for number, cells in enumerate(csv.reader(io.StringIO(text), dialect), start=1):
        if len(cells) > MAX_COLUMNS:
            raise ImportFailure(f"понад {MAX_COLUMNS} стовпців.", f"Рядок {number}")
        rows.append(SourceRow(f"Рядок {number}", [_cell_text(cell) for cell in cells]))
        _limit(rows, f"Рядок {number}")
    return TableSource("csv", filename, rows)


def read_xlsx(data: bytes, filename: str) -> TableSource:
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    _check_zip(data, "XLSX")
    try:
        workbook = load_workbook(io.BytesIO(data), data_only=True)
    except Exception:
        raise ImportFailure("файл пошкоджено або це не книга Excel (XLSX).") from None

    def sheet_rows(sheet) -> list[SourceRow]:
        if sheet.max_column > MAX_COLUMNS:
            raise ImportFailure(f"понад {MAX_COLUMNS} стовпців.", f"Аркуш «{sheet.title}»")
        rows = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            rows.append(
                SourceRow(
                    f"Аркуш «{sheet.title}», рядок {number}",
                    [_cell_text(value) for value in values],
                    refs=[f"{get_column_letter(i + 1)}{number}" for i in range(len(values))],
                )
            )
            _limit(rows, f"Аркуш «{sheet.title}»")
        return rows

    sheets = workbook.worksheets
    main = next((sheet for sheet in sheets if sheet.title != META_SHEET), None)
    if main is None:
        raise ImportFailure("у книзі немає аркуша з таблицею.")
    meta = next((sheet for sheet in sheets if sheet.title == META_SHEET), None)
    return TableSource("xlsx", filename, sheet_rows(main), sheet_rows(meta) if meta else [])


def read_docx(data: bytes, filename: str) -> TableSource:
    import docx
    from docx.table import Table

    _check_zip(data, "DOCX")
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception:
        raise ImportFailure("файл пошкоджено або це не документ Word (DOCX).") from None
    rows: list[SourceRow] = []
    tables = 0
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            tables += 1
            for number, row in enumerate(block.rows, start=1):
                cells = [_cell_text(cell.text) for cell in row.cells]
                if len(cells) > MAX_COLUMNS:
                    raise ImportFailure(
                        f"понад {MAX_COLUMNS} стовпців.", f"Таблиця {tables}, рядок {number}"
                    )
                rows.append(SourceRow(f"Таблиця {tables}, рядок {number}", cells, table=tables))
                _limit(rows, f"Таблиця {tables}")
        else:
            text = _cell_text(block.text)
            if DIRECTION_RE.match(text):
                place = f"Абзац «{text[:40]}…» перед таблицею {tables + 1}"
                rows.append(SourceRow(place, [text], paragraph=True, table=tables + 1))
    if not tables:
        raise ImportFailure("у документі немає таблиці з критеріями та індикаторами.")
    return TableSource("docx", filename, rows)


def role_for_header(text: str) -> str:
    folded = normalise_text(text).lower()
    if not folded:
        return IGNORE
    if "метод" in folded:
        return METHODS
    if "напрям" in folded:
        return DIRECTION
    if "вимог" in folded or "правил" in folded:
        return REQUIREMENT
    if "критері" in folded:
        return CRITERION
    if "індикатор" in folded or "показник" in folded:
        return INDICATOR
    if method := method_for_header(folded):
        return f"{TICK_PREFIX}{method}"
    return IGNORE


def _header_roles(row: SourceRow) -> list[str] | None:
    roles = [role_for_header(cell) for cell in row.cells]
    return roles if sum(role in LEVELS for role in set(roles)) >= 2 else None


def _dedupe(roles: list[str]) -> list[str]:
    """Merged header cells repeat one heading: keep the role on its first column."""
    seen, result = set(), []
    for role in roles:
        if role != IGNORE and role in seen:
            result.append(IGNORE)
        else:
            seen.add(role)
            result.append(role)
    return result


def _subheader(row: SourceRow, header: SourceRow, roles: list[str]) -> list[str] | None:
    """Tick columns named in a second header row under «Методи збору інформації»."""
    new = list(roles)
    found = False
    for index, cell in enumerate(row.cells):
        role = roles[index] if index < len(roles) else IGNORE
        top = header.cells[index] if index < len(header.cells) else ""
        if role in LEVELS or role == DIRECTION:
            if cell and cell != top:
                return None
            continue
        method = method_for_header(cell) if cell and len(cell) < 80 else None
        if (method and role in (METHODS, IGNORE)) or (role.startswith(TICK_PREFIX) and method):
            new[index] = f"{TICK_PREFIX}{method}"
            found = True
        elif cell and cell != top:
            return None
    if not found:
        return None
    return [IGNORE if role == METHODS else role for role in new]


def check_roles(roles: list[str]) -> str | None:
    """Why a column mapping cannot be used, or None."""
    for level in LEVELS:
        if roles.count(level) != 1:
            return (
                "Оберіть рівно один стовпець для кожного рівня: вимога (правило), "
                "критерій, індикатор."
            )
    assigned = [role for role in roles if role != IGNORE]
    if len(assigned) != len(set(assigned)):
        return "Кожну роль можна призначити лише одному стовпцю."
    if METHODS in roles and any(role.startswith(TICK_PREFIX) for role in roles):
        return "Методи вказують або назвами в одному стовпці, або позначками — не обома способами."
    return None


def recognise(source: TableSource) -> Recognition:
    """The columns as dozq understands them (before any correction)."""
    rows = [row for row in source.rows if not row.paragraph]
    for position, row in enumerate(rows[:15]):
        roles = _header_roles(row)
        if roles is None:
            continue
        roles = _dedupe(roles)
        headers = list(row.cells)
        following = rows[position + 1] if position + 1 < len(rows) else None
        if following is not None and following.table == row.table:
            sub = _subheader(following, row, roles)
            if sub is not None:
                roles = _dedupe(sub)
                headers = [
                    " / ".join(dict.fromkeys(part for part in (top, low) if part))
                    for top, low in zip(
                        row.cells + [""] * (len(following.cells) - len(row.cells)),
                        following.cells + [""] * (len(row.cells) - len(following.cells)),
                        strict=True,
                    )
                ]
                roles += [IGNORE] * (len(headers) - len(roles))
        return Recognition(
            [Column(i, h, r) for i, (h, r) in enumerate(zip(headers, roles, strict=False))],
            row.place,
        )
    first = _first_wide_row(source)
    return Recognition([Column(i, cell, IGNORE) for i, cell in enumerate(first.cells)], "")


def _first_wide_row(source: TableSource) -> SourceRow:
    """Without a recognised header, the first row with two or more different values
    is taken for it (a title or a direction row above it is not)."""
    rows = [row for row in source.rows if not row.paragraph]
    for row in rows[:15]:
        if len({cell for cell in row.cells if cell}) >= 2:
            return row
    return rows[0] if rows else SourceRow("", [])


def interpret(
    source: TableSource, roles: list[str] | None = None
) -> tuple[ParsedCatalog, Recognition]:
    """Build the tree; ``roles`` (one per column) overrides what was recognised."""
    recognition = recognise(source)
    if roles is not None:
        width = max(len(recognition.columns), len(roles))
        headers = [c.header for c in recognition.columns] + [""] * width
        recognition = Recognition(
            [Column(i, headers[i], role) for i, role in enumerate(roles)],
            recognition.header_place or _first_wide_row(source).place,
        )
    elif not recognition.header_place:
        raise ImportFailure(
            "не знайдено рядка заголовків таблиці: потрібні стовпці «Вимога/правило…», "
            "«Критерії оцінювання» та «Індикатори оцінювання». Вкажіть стовпці вручну.",
            _first_place(source) or "Таблиця",
        )
    problem = check_roles(recognition.roles)
    if problem:
        raise ImportFailure(problem, recognition.header_place or "Заголовки таблиці")
    builder = _Builder(source, recognition)
    catalog = builder.build()
    return catalog, recognition


def _first_place(source: TableSource) -> str:
    return next((row.place for row in source.rows if not row.paragraph), "")


def split_code(text: str) -> tuple[str | None, str]:
    match = CODE_RE.match(text)
    if not match:
        return None, normalise_text(text)
    return match.group("long") or match.group("short"), normalise_text(match.group("text"))


def _split_indicators(text: str) -> list[str]:
    """A cell may hold several indicators, each on its own line with its code."""
    lines = [line for line in text.split("\n") if line.strip()]
    starts = [i for i, line in enumerate(lines) if CODE_RE.match(line)]
    if len(starts) < 2 or starts[0] != 0:
        return [text]
    parts = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        parts.append(" ".join(lines[start:end]))
    return parts


class _Builder:
    def __init__(self, source: TableSource, recognition: Recognition):
        self.source = source
        self.recognition = recognition
        self.roles = recognition.roles
        self.headers = {c.index: c.header for c in recognition.columns}
        self.directions: list[Node] = []
        self.codes: dict[str, str] = {}
        self.warnings: list[str] = []
        self.current: dict[ItemKind, Node | None] = dict.fromkeys(ItemKind)
        self.raw: dict[ItemKind, str | None] = dict.fromkeys(ItemKind)
        self.column = {role: i for i, role in enumerate(self.roles) if role != IGNORE}

    # -- places -----------------------------------------------------------
    def cell_place(self, row: SourceRow, index: int) -> str:
        ref = row.refs[index] if row.refs and index < len(row.refs) else f"стовпець {index + 1}"
        header = normalise_text(self.headers.get(index, ""))
        label = f" («{header[:60]}»)" if header else ""
        prefix = "клітинка " if row.refs else ""
        return f"{row.place}, {prefix}{ref}{label}"

    def cell(self, row: SourceRow, role: str) -> str:
        index = self.column.get(role)
        if index is None or index >= len(row.cells):
            return ""
        return row.cells[index]

    # -- building ---------------------------------------------------------
    def build(self) -> ParsedCatalog:
        header_rows, preamble = self._header_rows()
        for row in self.source.rows:
            if row.paragraph:
                self._direction_from_text(row.cells[0], row.place)
                continue
            if id(row) in header_rows or self._repeats_header(row):
                continue
            values = {cell for cell in row.cells if cell}
            if not values:
                continue
            if len(values) == 1 and DIRECTION_RE.match(next(iter(values))):
                self._direction_from_text(next(iter(values)), row.place)
                continue
            if id(row) in preamble:
                continue
            self._data_row(row)
        if self.source.meta:
            self._apply_meta()
        if not any(node.kind is ItemKind.INDICATOR for d in self.directions for node in d.walk()):
            raise ImportFailure(
                "у таблиці не знайдено жодного індикатора.", _first_place(self.source)
            )
        return ParsedCatalog(
            directions=self.directions,
            name=self.source.filename.rsplit(".", 1)[0][:200],
            warnings=self.warnings,
        )

    def _header_rows(self) -> tuple[set[int], set[int]]:
        """Header rows of every table (each table of a document may repeat them),
        and the rows above a header (a title), which are not data."""
        headers, preamble = set(), set()
        by_table: dict[int, list[SourceRow]] = {}
        for row in self.source.rows:
            if not row.paragraph:
                by_table.setdefault(row.table, []).append(row)
        for rows in by_table.values():
            for position, row in enumerate(rows[:15]):
                roles = _header_roles(row)
                if roles is None and row.place != self.recognition.header_place:
                    continue
                headers.add(id(row))
                preamble.update(id(above) for above in rows[:position])
                if roles is not None and position + 1 < len(rows):
                    following = rows[position + 1]
                    if _subheader(following, row, _dedupe(roles)) is not None:
                        headers.add(id(following))
                break
        return headers, preamble

    def _repeats_header(self, row: SourceRow) -> bool:
        return all(
            normalise_text(self.cell(row, level))
            == normalise_text(self.headers.get(self.column[level], ""))
            for level in LEVELS
        ) and bool(self.cell(row, INDICATOR))

    def _direction_from_text(self, text: str, place: str) -> None:
        match = DIRECTION_RE.match(text)
        if match:
            code, title = match.group(1), normalise_text(match.group(2))
        else:
            code, title = split_code(text)
            if code is None:
                code = str(len(self.directions) + 1)
        if not title:
            raise ImportFailure(f"у напряму «{code}» немає назви.", place)
        self._new(ItemKind.DIRECTION, code, title, place)

    def _new(self, kind: ItemKind, code: str | None, text: str, place: str) -> Node:
        parent = None
        if kind is not ItemKind.DIRECTION:
            parent_kind = ItemKind(list(ItemKind)[kind.depth - 1])
            parent = self.current[parent_kind]
            if parent is None:
                raise ImportFailure(
                    f"{kind.label} «{text[:60]}» не належить жодному елементу рівня "
                    f"«{parent_kind.label}»"
                    + (
                        ": додайте перед таблицею абзац «Напрям 1. …» або рядок напряму."
                        if parent_kind is ItemKind.DIRECTION
                        else "."
                    ),
                    place,
                )
        siblings = parent.children if parent else self.directions
        if code is None:
            prefix = f"{parent.code}." if parent else ""
            code = f"{prefix}{len(siblings) + 1}"
        elif parent and not code.startswith(f"{parent.code}."):
            self.warnings.append(
                f"{place}: код «{code}» не починається з коду «{parent.code}», "
                f"до якого належить цей {kind.label}."
            )
        if len(code) > 40:
            raise ImportFailure(f"код «{code[:40]}…» задовгий.", place)
        if code in self.codes:
            raise ImportFailure(f"код «{code}» повторюється (уперше — {self.codes[code]}).", place)
        if len(text) > MAX_CELL:
            raise ImportFailure(f"текст довший за {MAX_CELL} символів.", place)
        self.codes[code] = place
        node = Node(kind, code, text, WordingStatus.IMPORTED, place=place)
        siblings.append(node)
        self.current[kind] = node
        for lower in list(ItemKind)[kind.depth + 1 :]:
            self.current[lower] = None
            self.raw[lower] = None
        return node

    def _level(self, row: SourceRow, kind: ItemKind, role: str) -> bool:
        """Start a new item of ``kind`` if the row's cell names one; True if it did."""
        value = self.cell(row, role)
        if not value or value == self.raw[kind]:
            return False
        code, text = split_code(value)
        place = self.cell_place(row, self.column[role])
        if not text:
            raise ImportFailure(f"після коду «{code}» немає формулювання.", place)
        if kind is ItemKind.DIRECTION:
            self._direction_from_text(value, place)
        else:
            self._new(kind, code, text, place)
        self.raw[kind] = value
        return True

    def _data_row(self, row: SourceRow) -> None:
        if DIRECTION in self.column:
            self._level(row, ItemKind.DIRECTION, DIRECTION)
        self._level(row, ItemKind.REQUIREMENT, REQUIREMENT)
        self._level(row, ItemKind.CRITERION, CRITERION)
        methods = self._methods(row)
        value = self.cell(row, INDICATOR)
        if not value:
            if methods:
                raise ImportFailure(
                    "методи вказано, але індикатора в цьому рядку немає.",
                    self.cell_place(row, self.column[INDICATOR]),
                )
            return
        place = self.cell_place(row, self.column[INDICATOR])
        for part in _split_indicators(value):
            code, text = split_code(part)
            if not text:
                raise ImportFailure(f"після коду «{code}» немає формулювання.", place)
            node = self._new(ItemKind.INDICATOR, code, text, place)
            node.methods = list(methods)

    def _methods(self, row: SourceRow) -> list[str]:
        found: list[str] = []
        if METHODS in self.column:
            value = self.cell(row, METHODS)
            if value:
                named = methods_in_text(value)
                if not named:
                    raise ImportFailure(
                        f"не вдалося розпізнати метод у «{value[:60]}»; можливі: "
                        "опитування (анкетування, інтерв’ю, фокус-група), спостереження, "
                        "вивчення документації.",
                        self.cell_place(row, self.column[METHODS]),
                    )
                found += named
        for role, index in self.column.items():
            if not role.startswith(TICK_PREFIX) or index >= len(row.cells):
                continue
            mark = tick(row.cells[index])
            if mark is None:
                raise ImportFailure(
                    f"незрозуміла позначка «{row.cells[index][:20]}»: поставте «+» "
                    "(або «✓», «х», «v»), щоб позначити метод, чи залиште клітинку порожньою.",
                    self.cell_place(row, index),
                )
            if mark:
                found.append(role.removeprefix(TICK_PREFIX))
        return ordered_methods(found)

    def _apply_meta(self) -> None:
        """dozq's own XLSX export: status, switched off and own flags per code."""
        rows = [row for row in self.source.meta if any(row.cells)]
        if not rows:
            return
        header = [normalise_text(cell).lower() for cell in rows[0].cells]

        def column(word: str) -> int | None:
            return next((i for i, cell in enumerate(header) if word in cell), None)

        code_col, status_col = column("код"), column("статус")
        enabled_col, own_col = column("увімкнено"), column("власний")
        quote_col, source_col = column("цитата"), column("джерело")
        if code_col is None:
            raise ImportFailure("немає стовпця «Код».", rows[0].place)
        nodes = {node.code: node for d in self.directions for node in d.walk()}
        yes, no = {"так", "true", "1", "+"}, {"ні", "false", "0", "", "-"}

        def value(row, index):
            return row.cells[index] if index is not None and index < len(row.cells) else ""

        def flag(row, index, default):
            text = value(row, index).lower()
            if index is None:
                return default
            if text in yes:
                return True
            if text in no:
                return False
            raise ImportFailure(
                f"очікується «так» або «ні», а не «{text[:20]}».", _meta_place(row, index)
            )

        for row in rows[1:]:
            code = value(row, code_col)
            if not code:
                continue
            node = nodes.get(code)
            if node is None:
                raise ImportFailure(
                    f"елемента з кодом «{code}» немає в таблиці.", _meta_place(row, code_col)
                )
            status = value(row, status_col)
            if status:
                try:
                    node.wording_status = WordingStatus(status)
                except ValueError:
                    raise ImportFailure(
                        f"невідомий статус формулювання «{status[:40]}».",
                        _meta_place(row, status_col),
                    ) from None
            node.enabled = flag(row, enabled_col, True)
            node.is_own = flag(row, own_col, False)
            node.seed_quote = normalise_text(value(row, quote_col))
            node.source = value(row, source_col)


def _meta_place(row: SourceRow, index: int) -> str:
    ref = row.refs[index] if row.refs and index < len(row.refs) else f"стовпець {index + 1}"
    return f"{row.place}, клітинка {ref}"


def read_table_file(filename: str, data: bytes) -> TableSource:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    readers = {"csv": read_csv, "xlsx": read_xlsx, "docx": read_docx}
    if suffix not in readers:
        raise ImportFailure(unsupported_message(suffix))
    return readers[suffix](data, filename)


def unsupported_message(suffix: str) -> str:
    hints = {
        "xls": "Збережіть книгу у форматі .xlsx.",
        "doc": "Збережіть документ у форматі .docx.",
        "pdf": "PDF не підтримується: скопіюйте таблицю в документ Word (.docx) або Excel (.xlsx).",
        "odt": "Збережіть документ у форматі .docx.",
        "ods": "Збережіть таблицю у форматі .xlsx.",
    }
    return "Непідтримуваний формат файлу. " + hints.get(
        suffix, "Можна завантажити YAML, XLSX, CSV або DOCX."
    )
