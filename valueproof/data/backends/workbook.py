"""Excel workbooks (.xlsx) as a `Source`: a worksheet read by pandas (openpyxl), with hints
for the columns' being on another worksheet or below title rows, and for formulas saved
without their results."""

from __future__ import annotations

from dataclasses import dataclass

from valueproof.data.backends.files import FileSource, header_row_hint
from valueproof.errors import DataError

EXCEL = {".xlsx"}


@dataclass(frozen=True)
class WorkbookSource(FileSource):
    """A worksheet (`data.sheet`, default the first) whose header is on `header_row`."""

    sheet: str | None = None
    header_row: int | None = None

    @property
    def is_workbook(self) -> bool:
        return True

    def _create_raw(self, con) -> None:
        con.register("raw_frame", self._read_excel())
        con.execute("CREATE VIEW raw AS SELECT * FROM raw_frame")

    def _read_excel(self):
        import pandas as pd

        header = (self.header_row or 1) - 1
        try:
            return pd.read_excel(self.path, sheet_name=self.sheet or 0, engine="openpyxl",
                                 header=header)
        except ValueError as exc:  # unknown sheet
            raise DataError(f"{self.path}: {exc}; check data.sheet") from None
        except Exception as exc:  # openpyxl raises many types for a file that is not xlsx
            raise DataError(
                f"{self.path}: could not be read as XLSX ({type(exc).__name__}); "
                "check that the file really is an Excel workbook"
            ) from None

    def _sheet_rows(self, sheet: str | int, rows: int) -> list[list[str]]:
        """The first `rows` rows of a worksheet as stripped text, for hints."""
        import pandas as pd

        frame = pd.read_excel(self.path, sheet_name=sheet, engine="openpyxl", header=None,
                              nrows=rows)
        return [[str(v).strip() for v in row if not pd.isna(v)] for row in frame.itertuples(index=False)]

    def missing_columns_hint(self, names: list[str]) -> str | None:
        """The columns are on another worksheet, or below title rows."""
        import openpyxl

        workbook = openpyxl.load_workbook(self.path, read_only=True)
        sheets = list(workbook.sheetnames)
        workbook.close()
        current = self.sheet or sheets[0]
        for sheet in [current] + [s for s in sheets if s != current]:
            for number, cells in enumerate(self._sheet_rows(sheet, 30), start=1):
                if all(name in cells for name in names):
                    if sheet != current:
                        return f"they are on worksheet '{sheet}': set data.sheet: {sheet}"
                    if number != (self.header_row or 1):
                        return header_row_hint(number)
        if len(sheets) > 1:
            return (f"worksheet '{current}' was read; the workbook's sheets are "
                    f"{', '.join(repr(s) for s in sheets)}: set data.sheet to the one with the "
                    "observations")
        return None

    def explain_empty(self, columns: list[str]) -> str | None:
        """Formulas saved without their results."""
        import openpyxl

        workbook = openpyxl.load_workbook(self.path, read_only=True, data_only=False)
        try:
            sheet = workbook[self.sheet] if self.sheet else workbook.worksheets[0]
            header_row = self.header_row or 1
            rows = sheet.iter_rows(min_row=header_row, max_row=header_row + 5, values_only=True)
            header = [str(v).strip() if v is not None else "" for v in next(rows, ())]
            formulas = [
                name for name in columns if name in header and any(
                    isinstance(row[header.index(name)], str) and row[header.index(name)].startswith("=")
                    for row in rows if len(row) > header.index(name))
            ]
        finally:
            workbook.close()
        if not formulas:
            return None
        return (f"column(s) {', '.join(repr(c) for c in formulas)} hold formulas whose results were "
                "never calculated (the workbook was written by a program, not saved by Excel); open "
                "it in Excel and save it, or export the values (Paste Special → Values) instead")
