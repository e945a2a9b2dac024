//! The checked policy, as the front-end hands it to resolution and expansion.

/// A position in the policy file, 1-based like rustc's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Loc {
    /// Line, counting from 1.
    pub line: usize,
    /// Column in characters, counting from 1.
    pub col: usize,
}

/// One syscall name as written in an `allow` list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Syscall {
    /// The name, known to exist on at least one supported architecture.
    pub name: String,
    /// Where the string literal starts.
    pub loc: Loc,
}

/// A `[cap.NAME]` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CapTable {
    /// `NAME`.
    pub name: String,
    /// Where the table's header is.
    pub loc: Loc,
    /// Its `allow` list, in file order, without duplicates.
    pub allow: Vec<Syscall>,
}

/// A policy file that parsed and validated without error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// `[base].allow`, in file order, without duplicates.
    pub base: Vec<Syscall>,
    /// The `[cap.NAME]` tables in declaration order.
    pub caps: Vec<CapTable>,
}
