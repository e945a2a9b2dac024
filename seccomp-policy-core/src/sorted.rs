//! The one look-up by name in the generated tables: a slice of
//! `(name, value)` pairs sorted by name in byte order (how the generator
//! writes every table).
//!
//! A binary search written out, as a `const fn`: the spawn path's rules are
//! made from a syscall number at compile time, and in the unoptimized
//! build a proc macro gets, the generic `binary_search_by` and its closure
//! cost the macro, which resolves every rule's name on nine architectures,
//! twice what this loop does.

use core::cmp::Ordering;

/// Where `name` is in `sorted`, a slice sorted by name in byte order.
pub const fn position<T>(sorted: &[(&str, T)], name: &str) -> Option<usize> {
    let (mut low, mut high) = (0, sorted.len());
    while low < high {
        let mid = low + (high - low) / 2;
        match compare(sorted[mid].0, name) {
            Ordering::Less => low = mid + 1,
            Ordering::Greater => high = mid,
            Ordering::Equal => return Some(mid),
        }
    }
    None
}

/// `a.cmp(b)`, in a `const fn`: byte order, a prefix first.
const fn compare(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut i = 0;
    while i < a.len() && i < b.len() {
        if a[i] != b[i] {
            return if a[i] < b[i] {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
        i += 1;
    }
    if a.len() < b.len() {
        Ordering::Less
    } else if a.len() > b.len() {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn found_at_every_place() {
        let sorted = [("b", 1), ("d", 2), ("f", 3)];
        assert_eq!(position(&sorted, "b"), Some(0));
        assert_eq!(position(&sorted, "d"), Some(1));
        assert_eq!(position(&sorted, "f"), Some(2));
        for absent in ["", "a", "c", "e", "g", "bb"] {
            assert_eq!(position(&sorted, absent), None, "{absent}");
        }
        assert_eq!(position::<u32>(&[], "b"), None);
    }

    #[test]
    fn compares_as_str_does() {
        let words = [
            "", "a", "ab", "abc", "b", "B", "a\u{e9}", "\u{e9}", "_", "z",
        ];
        for a in words {
            for b in words {
                assert_eq!(compare(a, b), a.cmp(b), "{a:?} {b:?}");
            }
        }
    }
}
