"""The generated tables' shape: names as spans of one text.

A table's rows hold each name as an offset and a length into one string
of all its names (`seccomp_policy_core::sorted::{Span, Row, Table}`), so
that the rows are plain numbers: in a position-independent executable a
pointer in a static (a `&str`) is a relocation the loader writes at every
start of the program, and the tables had tens of thousands.
"""


class Text:
    """The names of one generated file, each written once, in the order
    first asked for."""

    def __init__(self):
        self.names = []
        self.at = {}
        self.size = 0

    def span(self, name):
        """(offset, length) of `name`, added at the end if new."""
        if not name.isascii() or '"' in name or "\\" in name:
            raise SystemExit(f"{name!r}: names are plain ASCII")
        if name not in self.at:
            self.at[name] = self.size
            self.names.append(name)
            self.size += len(name)
        at = self.at[name]
        if at > 0xFFFF or len(name) > 0xFF:
            raise SystemExit(f"{name!r} at {at}: a span is a u16 offset and a u8 length")
        return at, len(name)

    def render(self, const, doc):
        """`const NAME: &str` with one name a line, as rustfmt leaves it
        (it does not reformat string literals)."""
        out = [f"/// {line}" for line in doc]
        if not self.names:
            out.append(f'const {const}: &str = "";')
            return out
        out.append(f'const {const}: &str = "\\')
        for name in self.names[:-1]:
            out.append(f"    {name}\\")
        out.append(f'    {self.names[-1]}";')
        return out


def row(text, name, value, comment=None):
    """A `Row::new(at, len, value)` line after a comment naming it (the
    name, or `comment`): one item a line, as rustfmt leaves an array with
    comments between its items."""
    at, n = text.span(name)
    return f"    // {comment or name}\n    Row::new({at}, {n}, {value}),"
