//! The generated tables' shape, and the one look-up by name in them.
//!
//! Every generated table (syscalls, errnos, and the front end's constants
//! and signatures) is a [`Table`]: rows of a name and a value, sorted by
//! name in byte order, stored without pointers. A row holds its name as a
//! [`Span`], an offset and a length into one text that holds all the
//! table's names; the table is that text and the rows. In a
//! position-independent executable every pointer in a static is a
//! relocation the loader writes at each start of the program (and a page
//! it dirties, which each `fork` then copies); a table of `(&str, T)` pairs
//! had one per row, a [`Table`] has two in all.
//!
//! The look-up is a binary search written out, as a `const fn`: the spawn
//! path's rules are made from a syscall number at compile time, and in the
//! unoptimized build a proc macro gets, the generic `binary_search_by` and
//! its closure cost the macro, which resolves every rule's name on nine
//! architectures, twice what this loop does.

use core::cmp::Ordering;
use core::fmt;

/// Where a name is in its table's text: `len` bytes from byte `at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    at: u16,
    len: u8,
}

impl Span {
    /// The `len` bytes of a text from byte `at`.
    pub const fn new(at: u16, len: u8) -> Span {
        Span { at, len }
    }

    /// The bytes of `text` this span covers; empty if it is outside
    /// `text`.
    const fn bytes(self, text: &str) -> &[u8] {
        let bytes = text.as_bytes();
        let (at, len) = (self.at as usize, self.len as usize);
        if at + len > bytes.len() {
            return &[];
        }
        let (_, rest) = bytes.split_at(at);
        let (name, _) = rest.split_at(len);
        name
    }

    /// `self.of(text).cmp(name)`, read in place: the binary search's
    /// step, which in the unoptimized build a proc macro gets costs twice
    /// as much through [`Span::of`]'s slicing and its checks.
    const fn compare(self, text: &str, name: &[u8]) -> Ordering {
        let (text, at) = (text.as_bytes(), self.at as usize);
        // A span outside the text is empty, as `of` reads it.
        let len = if at + self.len as usize > text.len() {
            0
        } else {
            self.len as usize
        };
        let mut i = 0;
        while i < len && i < name.len() {
            if text[at + i] != name[i] {
                return if text[at + i] < name[i] {
                    Ordering::Less
                } else {
                    Ordering::Greater
                };
            }
            i += 1;
        }
        if len < name.len() {
            Ordering::Less
        } else if len > name.len() {
            Ordering::Greater
        } else {
            Ordering::Equal
        }
    }

    /// The part of `text` this span covers; empty if it is outside `text`
    /// or does not start and end on character boundaries (the generator
    /// writes only ASCII names).
    pub const fn of(self, text: &str) -> &str {
        match core::str::from_utf8(self.bytes(text)) {
            Ok(name) => name,
            Err(_) => "",
        }
    }
}

/// One row of a [`Table`]: a name, as a span of the table's text, and its
/// value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Row<T> {
    name: Span,
    value: T,
}

impl<T> Row<T> {
    /// The row of the name `len` bytes from byte `at` of the table's text,
    /// and `value`.
    pub const fn new(at: u16, len: u8, value: T) -> Row<T> {
        Row {
            name: Span::new(at, len),
            value,
        }
    }
}

/// Rows of a name and a value, the names spans of one text: a generated
/// table. Where a table is searched by name ([`Table::position`],
/// [`Table::find`]) the generator sorts its rows by name in byte order;
/// errno's table by number is sorted by number, and the front end's table
/// of parameters is in each signature's order.
pub struct Table<T: 'static> {
    text: &'static str,
    rows: &'static [Row<T>],
}

// Not derived: a derive would ask `T: Clone`, and the table is two
// references whatever `T` is.
impl<T> Clone for Table<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Table<T> {}

impl<T: Copy> Table<T> {
    /// The table of `rows`, whose names are spans of `text`.
    pub const fn new(text: &'static str, rows: &'static [Row<T>]) -> Table<T> {
        Table { text, rows }
    }

    /// The number of rows.
    pub const fn len(self) -> usize {
        self.rows.len()
    }

    /// Whether the table has no rows.
    pub const fn is_empty(self) -> bool {
        self.rows.is_empty()
    }

    /// The name of row `i`.
    ///
    /// # Panics
    ///
    /// If `i` is not below [`Table::len`].
    pub const fn name(self, i: usize) -> &'static str {
        self.rows[i].name.of(self.text)
    }

    /// The value of row `i`.
    ///
    /// # Panics
    ///
    /// If `i` is not below [`Table::len`].
    pub const fn value(self, i: usize) -> T {
        self.rows[i].value
    }

    /// Row `i` as `(name, value)`, if there is one.
    pub const fn get(self, i: usize) -> Option<(&'static str, T)> {
        if i < self.rows.len() {
            Some((self.name(i), self.value(i)))
        } else {
            None
        }
    }

    /// Where `name` is, in a table sorted by name in byte order.
    pub const fn position(self, name: &str) -> Option<usize> {
        let (mut low, mut high) = (0, self.rows.len());
        while low < high {
            let mid = low + (high - low) / 2;
            match self.rows[mid].name.compare(self.text, name.as_bytes()) {
                Ordering::Less => low = mid + 1,
                Ordering::Greater => high = mid,
                Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    /// The value of `name`, in a table sorted by name in byte order.
    pub const fn find(self, name: &str) -> Option<T> {
        match self.position(name) {
            Some(i) => Some(self.value(i)),
            None => None,
        }
    }

    /// Every row as `(name, value)`, in order.
    pub fn iter(self) -> Iter<T> {
        Iter {
            table: self,
            front: 0,
            back: self.rows.len(),
        }
    }
}

impl<T: Copy> IntoIterator for Table<T> {
    type Item = (&'static str, T);
    type IntoIter = Iter<T>;

    fn into_iter(self) -> Iter<T> {
        self.iter()
    }
}

impl<T: Copy + fmt::Debug> fmt::Debug for Table<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// The rows of a [`Table`] as `(name, value)`, from [`Table::iter`].
#[derive(Clone)]
pub struct Iter<T: 'static> {
    table: Table<T>,
    front: usize,
    back: usize,
}

impl<T: Copy> Iterator for Iter<T> {
    type Item = (&'static str, T);

    fn next(&mut self) -> Option<Self::Item> {
        if self.front == self.back {
            return None;
        }
        self.front += 1;
        self.table.get(self.front - 1)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.back - self.front;
        (n, Some(n))
    }
}

impl<T: Copy> DoubleEndedIterator for Iter<T> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.front == self.back {
            return None;
        }
        self.back -= 1;
        self.table.get(self.back)
    }
}

impl<T: Copy> ExactSizeIterator for Iter<T> {}

#[cfg(test)]
mod tests {
    use super::*;

    static TEXT: &str = "bdff";
    static ROWS: [Row<u32>; 3] = [Row::new(0, 1, 1), Row::new(1, 1, 2), Row::new(2, 2, 3)];
    const TABLE: Table<u32> = Table::new(TEXT, &ROWS);

    #[test]
    fn found_at_every_place() {
        assert_eq!(TABLE.position("b"), Some(0));
        assert_eq!(TABLE.position("d"), Some(1));
        assert_eq!(TABLE.position("ff"), Some(2));
        assert_eq!(TABLE.find("ff"), Some(3));
        for absent in ["", "a", "c", "e", "f", "g", "bb", "fff"] {
            assert_eq!(TABLE.position(absent), None, "{absent}");
            assert_eq!(TABLE.find(absent), None, "{absent}");
        }
        assert_eq!(Table::<u32>::new("", &[]).position("b"), None);
    }

    #[test]
    fn names_and_rows() {
        let rows: Vec<(&str, u32)> = TABLE.iter().collect();
        assert_eq!(rows, [("b", 1), ("d", 2), ("ff", 3)]);
        let back: Vec<(&str, u32)> = TABLE.iter().rev().collect();
        assert_eq!(back, [("ff", 3), ("d", 2), ("b", 1)]);
        assert_eq!(TABLE.iter().len(), 3);
        assert_eq!(TABLE.get(3), None);
        assert_eq!(format!("{TABLE:?}"), r#"[("b", 1), ("d", 2), ("ff", 3)]"#);
        // A span outside the text, or not on character boundaries, is
        // empty rather than a panic.
        assert_eq!(Span::new(3, 2).of(TEXT), "");
        assert_eq!(Span::new(0, 1).of("\u{e9}"), "");
    }

    #[test]
    fn a_row_holds_no_pointer() {
        // A u16 offset and a u8 length, then the value: 8 bytes with a u32,
        // where a `&str` alone would take 16 on a 64-bit target.
        assert_eq!(core::mem::size_of::<Span>(), 4);
        assert_eq!(core::mem::size_of::<Row<u32>>(), 8);
        assert_eq!(core::mem::size_of::<Row<u16>>(), 6);
    }

    #[test]
    fn usable_in_const() {
        const D: Option<u32> = TABLE.find("d");
        const NAME: &str = TABLE.name(2);
        assert_eq!((D, NAME), (Some(2), "ff"));
    }

    #[test]
    fn compares_as_str_does() {
        let words = [
            "", "a", "ab", "abc", "b", "B", "a\u{e9}", "\u{e9}", "_", "z",
        ];
        for a in words {
            // `a` in the middle of a text, as a span of it.
            let text = format!("x{a}y");
            let span = Span::new(1, a.len() as u8);
            assert_eq!(span.of(&text), a);
            for b in words {
                assert_eq!(span.compare(&text, b.as_bytes()), a.cmp(b), "{a:?} {b:?}");
            }
        }
        // A span outside its text compares as the empty name it reads as.
        assert_eq!(Span::new(3, 2).compare("ab", b""), Ordering::Equal);
        assert_eq!(Span::new(3, 2).compare("ab", b"a"), Ordering::Less);
    }
}
