"""Errors that name the place in the user's input where something is wrong."""

from __future__ import annotations


class InputError(Exception):
    """Bad input: says which file, row and column, and what is wrong there."""

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 column: str | None = None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.row = row
        self.column = column

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class InputErrors(InputError):
    """Every problem found in one input, so that a user fixes them all in one pass.

    Said once per distinct problem (the same message in the same column of the same file), with the rows it
    affects: a wrong kind of file is one message, not the same one 600 times.
    """

    def __init__(self, errors: list[InputError], more: int = 0):
        self.errors = errors
        self.more = more  # problems found past those kept (an import of a large file keeps the first few hundred)
        super().__init__("\n".join(str(e) for e in errors), file=errors[0].file if errors else None)

    def grouped(self) -> list[tuple[InputError, list[int]]]:
        """Each distinct problem (its first error) with every row it is on, in the order first met."""
        groups: dict[tuple, tuple[InputError, list[int]]] = {}
        for error in self.errors:
            found = groups.setdefault((error.file, error.column, error.message), (error, []))
            if error.row is not None:
                found[1].append(error.row)
        return list(groups.values())

    def __str__(self) -> str:
        lines = []
        for error, rows in self.grouped():
            if len(rows) < 2:
                lines.append(str(error))
                continue
            where = [error.file] if error.file else []
            where.append(f"rows {rows_text(rows)}")
            if error.column:
                where.append(f"column {error.column!r}")
            lines.append(f"{', '.join(where)}: {error.message}")
        if self.more:
            lines.append(f"... and {self.more:,} more problems")
        return "\n".join(lines)


def rows_text(rows: list[int]) -> str:
    """3, 4, 5, 9 -> "3-5, 9": the rows a problem is on, runs written as ranges."""
    ordered = sorted(set(rows))
    runs: list[list[int]] = []
    for row in ordered:
        if runs and row == runs[-1][1] + 1:
            runs[-1][1] = row
        else:
            runs.append([row, row])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)
