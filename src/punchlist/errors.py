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
    """Every problem found in one input, so that a user fixes them all in one pass."""

    def __init__(self, errors: list[InputError], more: int = 0):
        self.errors = errors
        self.more = more  # problems found past those kept (an import of a large file keeps the first few hundred)
        super().__init__("\n".join(str(e) for e in errors), file=errors[0].file if errors else None)

    def __str__(self) -> str:
        lines = [str(e) for e in self.errors]
        if self.more:
            lines.append(f"... and {self.more:,} more problems")
        return "\n".join(lines)
