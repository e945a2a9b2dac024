//! "Did you mean" suggestions for misspelled syscall names and keys.
//!
//! The distance is the optimal-string-alignment variant of Damerau-Levenshtein
//! (insertions, deletions, substitutions and swaps of two adjacent characters
//! each cost 1), compared case-insensitively. A candidate is close enough when
//! the distance is at most a third of the longer of the word's length and 3,
//! the same bound rustc uses for its own suggestions: one edit for short words,
//! more for long ones, and nothing for words that merely share a few letters.

/// The candidate closest to `word`, if one is close enough to be a likely typo.
///
/// Ties go to a candidate made of the same letters as `word` (a transposed
/// pair, the commonest slip: `TIOCSIT` is `TIOCSTI`, not `TIOCSIG`), then to
/// the one sharing the longest prefix with `word`, then to the first one
/// given. A candidate equal to `word` (ignoring case) wins outright.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let word_lc: Vec<char> = word.chars().flat_map(char::to_lowercase).collect();
    if word_lc.is_empty() {
        return None;
    }
    let max_dist = word_lc.len().max(3) / 3;
    let mut word_letters = word_lc.clone();
    word_letters.sort_unstable();
    let mut best: Option<(usize, bool, usize, &'a str)> = None;
    for candidate in candidates {
        let cand_lc: Vec<char> = candidate.chars().flat_map(char::to_lowercase).collect();
        // The distance is at least the difference in length: skip the work.
        if cand_lc.len().abs_diff(word_lc.len()) > max_dist {
            continue;
        }
        let dist = distance(&word_lc, &cand_lc);
        if dist > max_dist {
            continue;
        }
        let prefix = word_lc
            .iter()
            .zip(&cand_lc)
            .take_while(|(a, b)| a == b)
            .count();
        let mut letters = cand_lc;
        letters.sort_unstable();
        let anagram = letters == word_letters;
        let better = match best {
            None => true,
            Some((best_dist, best_anagram, best_prefix, _)) => {
                (dist, !anagram, usize::MAX - prefix)
                    < (best_dist, !best_anagram, usize::MAX - best_prefix)
            }
        };
        if better {
            best = Some((dist, anagram, prefix, candidate));
        }
    }
    best.map(|(_, _, _, candidate)| candidate)
}

/// Optimal-string-alignment distance between `a` and `b`.
fn distance(a: &[char], b: &[char]) -> usize {
    // Three rows of the dynamic-programming matrix: two back, one back, current.
    let width = b.len() + 1;
    let mut prev2 = vec![0usize; width];
    let mut prev: Vec<usize> = (0..width).collect();
    let mut cur = vec![0usize; width];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(prev2[j - 2] + 1);
            }
            cur[j] = d;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transposition_beats_a_longer_shared_prefix() {
        assert_eq!(
            did_you_mean("TIOCSIT", ["TIOCSIG", "TIOCSTI"]),
            Some("TIOCSTI")
        );
        assert_eq!(
            did_you_mean("TIOCSIT", ["TIOCSTI", "TIOCSIG"]),
            Some("TIOCSTI")
        );
        assert_eq!(
            did_you_mean("TIOCSIX", ["TIOCSIG", "TIOCSTI"]),
            Some("TIOCSIG")
        );
    }

    const NAMES: &[&str] = &[
        "exit",
        "exit_group",
        "fstat",
        "newfstatat",
        "open",
        "openat",
        "read",
        "readv",
        "stat",
        "write",
    ];

    fn dist(a: &str, b: &str) -> usize {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        distance(&a, &b)
    }

    #[test]
    fn distance_counts_each_edit_once() {
        assert_eq!(dist("", ""), 0);
        assert_eq!(dist("abc", ""), 3);
        assert_eq!(dist("", "abc"), 3);
        assert_eq!(dist("read", "read"), 0);
        assert_eq!(dist("rea", "read"), 1);
        assert_eq!(dist("raed", "read"), 1);
        assert_eq!(dist("reed", "read"), 1);
        assert_eq!(dist("newfstat", "newfstatat"), 2);
        assert_eq!(dist("exti_group", "exit_group"), 1);
        assert_eq!(dist("kitten", "sitting"), 3);
        assert_eq!(dist("ca", "abc"), 3);
    }

    #[test]
    fn suggests_the_closest_name() {
        let names = NAMES.iter().copied();
        assert_eq!(did_you_mean("newfstat", names.clone()), Some("newfstatat"));
        assert_eq!(
            did_you_mean("exti_group", names.clone()),
            Some("exit_group")
        );
        assert_eq!(did_you_mean("wrte", names.clone()), Some("write"));
        assert_eq!(did_you_mean("opneat", names.clone()), Some("openat"));
    }

    #[test]
    fn ignores_case_and_prefers_exact_matches() {
        let names = NAMES.iter().copied();
        assert_eq!(did_you_mean("READ", names.clone()), Some("read"));
        assert_eq!(
            did_you_mean("Exit_Group", names.clone()),
            Some("exit_group")
        );
        // `open` is itself a candidate: it wins over `openat`.
        assert_eq!(did_you_mean("open", names), Some("open"));
    }

    #[test]
    fn breaks_ties_by_common_prefix() {
        // `stat` and `fstat` are both one edit from `sstat`; `stat` shares its
        // first letter.
        assert_eq!(did_you_mean("sstat", NAMES.iter().copied()), Some("stat"));
        // Equal distance and prefix: the first candidate given wins.
        assert_eq!(did_you_mean("xy", ["xa", "xb"]), Some("xa"));
    }

    #[test]
    fn stays_quiet_when_nothing_is_close() {
        let names = NAMES.iter().copied();
        assert_eq!(did_you_mean("socket", names.clone()), None);
        assert_eq!(did_you_mean("frobnicate", names.clone()), None);
        assert_eq!(did_you_mean("", names.clone()), None);
        // A two-letter word allows one edit; `write` is three away.
        assert_eq!(did_you_mean("wr", names.clone()), None);
        assert_eq!(did_you_mean("anything", std::iter::empty()), None);
    }

    #[test]
    fn suggests_keys() {
        assert_eq!(did_you_mean("bse", ["base", "cap"]), Some("base"));
        assert_eq!(did_you_mean("caps", ["base", "cap"]), Some("cap"));
        assert_eq!(did_you_mean("alow", ["allow"]), Some("allow"));
        assert_eq!(did_you_mean("allowed", ["allow"]), Some("allow"));
        assert_eq!(did_you_mean("allowances", ["allow"]), None);
        assert_eq!(did_you_mean("deny", ["allow"]), None);
    }

    #[test]
    fn handles_multibyte_text() {
        assert_eq!(did_you_mean("réad", NAMES.iter().copied()), Some("read"));
        assert_eq!(did_you_mean("ééééé", NAMES.iter().copied()), None);
    }
}
