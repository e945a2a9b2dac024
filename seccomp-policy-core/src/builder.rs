//! A `const fn` builder of allowlist filters.
//!
//! [`build`] turns sorted sets of allowed syscall numbers into a classic-BPF
//! program for one [`Arch`]:
//!
//! ```text
//!        ld  [arch]
//!        jeq #AUDIT_ARCH, +1, +0
//!        ret #deny                 ; a foreign architecture (i386 `int 0x80` on x86-64)
//!        ld  [nr]
//!        ...                       ; balanced tree of `jge` over the allowed ranges
//!        ret #ALLOW | ret #deny    ; one leaf per interval of the number line
//! ```
//!
//! The allowed numbers are coalesced into ranges `[lo, hi]`. Their ends cut the
//! number line `0..=u32::MAX` into alternating intervals (deny, allow, deny,
//! ..., deny), and the tree finds the interval of `nr` with one unsigned
//! `jge` per level, so every path has the same `ld`s and at most
//! `ceil(log2(intervals))` comparisons. Only instructions the kernel's seccomp
//! action cache can emulate appear (`ld` of `arch` and `nr`, `jeq`/`jge` with
//! a constant, `ja`, `ret` with a constant), so the kernel marks every allowed
//! number of the native architecture as "always allow" and skips the filter
//! for it.
//!
//! Nothing here allocates or panics, so a program for capabilities chosen at
//! run time can be built in a child between `fork` and `exec`; the same code
//! runs at compile time to fill a `static`:
//!
//! ```
//! use seccomp_policy_core::builder::{build, Action};
//! use seccomp_policy_core::{Arch, Program};
//!
//! static P: Program<64> = match build::<64>(Arch::X86_64, &[&[0, 1, 2]], Action::KillProcess) {
//!     Ok(p) => p,
//!     Err(e) => panic!("{}", e.message()),
//! };
//! assert_eq!(P.len(), 7);
//! ```
//!
//! A set that does not fit is then a compile-time error:
//!
//! ```compile_fail
//! use seccomp_policy_core::builder::{build, Action};
//! use seccomp_policy_core::{Arch, Program};
//!
//! const EVEN: [u32; 1100] = {
//!     let mut a = [0u32; 1100];
//!     let mut i = 0;
//!     while i < a.len() {
//!         a[i] = 2 * i as u32;
//!         i += 1;
//!     }
//!     a
//! };
//! // 1100 separate numbers need more than BPF_MAXINSNS (4096) instructions.
//! static P: Program<4096> = match build::<4096>(Arch::X86_64, &[&EVEN], Action::KillProcess) {
//!     Ok(p) => p,
//!     Err(e) => panic!("{}", e.message()),
//! };
//! ```

use core::fmt;

use crate::arch::Arch;
use crate::bpf::{
    Program, SockFilter, BPF_ABS, BPF_JA, BPF_JEQ, BPF_JGE, BPF_JMP, BPF_K, BPF_LD, BPF_MAXINSNS,
    BPF_RET, BPF_W, SECCOMP_DATA_ARCH, SECCOMP_DATA_NR, SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO,
    SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_LOG, SECCOMP_RET_TRAP,
    SECCOMP_RET_USER_NOTIF,
};

/// What a filter does with a system call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Kill the whole process, as if by an uncatchable `SIGSYS` (`SECCOMP_RET_KILL_PROCESS`).
    KillProcess,
    /// Kill only the calling thread (`SECCOMP_RET_KILL_THREAD`).
    KillThread,
    /// Send the thread a catchable `SIGSYS` (`SECCOMP_RET_TRAP`).
    Trap,
    /// Skip the call and make it fail with this errno (`SECCOMP_RET_ERRNO`);
    /// the kernel caps the value at `MAX_ERRNO` (4095).
    Errno(u16),
    /// Allow the call and log it (`SECCOMP_RET_LOG`).
    Log,
    /// Ask the user-space supervisor holding the filter's listener
    /// (`SECCOMP_RET_USER_NOTIF`, Linux 5.0). With no listener the call
    /// fails with `ENOSYS`.
    Notify,
    /// Allow the call (`SECCOMP_RET_ALLOW`).
    Allow,
}

impl Action {
    /// The filter return value for this action: a `SECCOMP_RET_*` action,
    /// or-ed with the errno for [`Action::Errno`].
    pub const fn to_ret(self) -> u32 {
        match self {
            Action::KillProcess => SECCOMP_RET_KILL_PROCESS,
            Action::KillThread => SECCOMP_RET_KILL_THREAD,
            Action::Trap => SECCOMP_RET_TRAP,
            Action::Errno(e) => SECCOMP_RET_ERRNO | e as u32,
            Action::Log => SECCOMP_RET_LOG,
            Action::Notify => SECCOMP_RET_USER_NOTIF,
            Action::Allow => SECCOMP_RET_ALLOW,
        }
    }
}

/// Why [`build`] could not make a program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BuildError {
    /// The program would need more than [`BPF_MAXINSNS`] instructions, which
    /// the kernel refuses.
    TooLong {
        /// Instructions the program would need.
        needed: usize,
    },
    /// The program fits the kernel's limit but not the buffer `Program<N>`.
    BufferTooSmall {
        /// Instructions the program needs.
        needed: usize,
        /// The buffer's capacity `N`.
        capacity: usize,
    },
    /// An input set is not sorted in ascending order (equal neighbours are fine).
    Unsorted,
    /// More than [`MAX_SETS`] input sets.
    TooManySets,
}

impl BuildError {
    /// A fixed description, usable in a `const` panic (`panic!("{}", e.message())`).
    pub const fn message(&self) -> &'static str {
        match self {
            BuildError::TooLong { .. } => {
                "seccomp filter too long: more than BPF_MAXINSNS (4096) instructions"
            }
            BuildError::BufferTooSmall { .. } => {
                "seccomp filter does not fit the program buffer: raise its capacity (see capacity_for)"
            }
            BuildError::Unsorted => "syscall number set is not sorted in ascending order",
            BuildError::TooManySets => {
                "too many syscall number sets: at most MAX_SETS (66) can be joined"
            }
        }
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            BuildError::TooLong { needed } => write!(
                f,
                "seccomp filter too long: needs {needed} instructions, the kernel accepts at most {BPF_MAXINSNS}"
            ),
            BuildError::BufferTooSmall { needed, capacity } => write!(
                f,
                "seccomp filter needs {needed} instructions but the program buffer holds {capacity}"
            ),
            BuildError::Unsorted | BuildError::TooManySets => f.write_str(self.message()),
        }
    }
}

impl core::error::Error for BuildError {}

/// Instructions before the tree: `ld [arch]`, `jeq`, `ret deny`, `ld [nr]`.
const HEADER: usize = 4;

/// The largest conditional jump offset (`jt`/`jf` are 8 bits).
const MAX_JUMP: usize = 255;

/// Sizes of the decision trees over `n` and `n + 1` intervals (`n >= 1`).
///
/// The tree over `n` intervals puts `n / 2` of them in the lower (fall-through)
/// half and the rest in the upper half, so its size depends on `n` only:
/// `S(1) = 1`, `S(n) = 1 + S(n/2) + S(n - n/2) + [S(n/2) > 255]`, the last
/// term being the `ja` needed when the lower half is too long to jump over
/// with `jt`. Computing the pair keeps this `O(log n)`.
const fn tree_sizes(n: usize) -> (usize, usize) {
    if n <= 1 {
        // S(1) = 1, S(2) = 1 + S(1) + S(1).
        return (1, 3);
    }
    let k = n / 2;
    let (sk, sk1) = tree_sizes(k);
    if n & 1 == 0 {
        (node_size(sk, sk), node_size(sk, sk1))
    } else {
        (node_size(sk, sk1), node_size(sk1, sk1))
    }
}

/// Size of a node whose lower half has `lower` and upper half `upper` instructions.
const fn node_size(lower: usize, upper: usize) -> usize {
    let ja = if lower > MAX_JUMP { 1 } else { 0 };
    // Saturating: sizes past BPF_MAXINSNS are only compared, never used.
    lower.saturating_add(upper).saturating_add(1 + ja)
}

/// Size of the tree over `n >= 1` intervals.
const fn tree_size(n: usize) -> usize {
    tree_sizes(n).0
}

/// An upper bound of the length of a program built from at most
/// `max_numbers` syscall numbers (counting duplicates), capped at
/// [`BPF_MAXINSNS`] because [`build`] refuses anything longer.
///
/// `m` numbers form at most `m` ranges, so at most `2m + 1` intervals, and the
/// program is `4 + S(2m + 1)` instructions long, where `S(n)` (`2n - 1`
/// comparisons and leaves, plus one `ja` per node whose lower half exceeds 255
/// instructions) grows with `n`. For example `capacity_for(0) == 5`,
/// `capacity_for(3) == 17`, and from 1023 numbers on the result is 4096.
///
/// Use it to size a buffer: `Program<{ capacity_for(M) }>` holds any program
/// for `M` numbers that the kernel would accept.
pub const fn capacity_for(max_numbers: usize) -> usize {
    // 1023 isolated numbers already need 4 + 2 * 2047 - 1 > 4096 instructions.
    if max_numbers >= 1023 {
        return BPF_MAXINSNS;
    }
    let len = HEADER + tree_size(2 * max_numbers + 1);
    if len > BPF_MAXINSNS {
        BPF_MAXINSNS
    } else {
        len
    }
}

/// The most sets [`build`] joins: a base, an extra list and 64 caps.
pub const MAX_SETS: usize = 66;

/// The union of sorted sets, read in ascending order with one cursor per set,
/// so a whole walk costs one pass over every set.
struct Union<'a> {
    sets: &'a [&'a [u32]],
    /// Per set, the index of its first element not yet passed.
    cursors: [usize; MAX_SETS],
}

impl<'a> Union<'a> {
    /// `sets.len()` must be at most [`MAX_SETS`].
    const fn new(sets: &'a [&'a [u32]]) -> Self {
        Union {
            sets,
            cursors: [0; MAX_SETS],
        }
    }

    /// The smallest member `>= x`. Calls must not decrease `x`: cursors only
    /// move forward.
    const fn next_at_least(&mut self, x: u64) -> Option<u32> {
        let mut best: Option<u32> = None;
        let mut i = 0;
        while i < self.sets.len() {
            let set = self.sets[i];
            let mut c = self.cursors[i];
            while c < set.len() && (set[c] as u64) < x {
                c += 1;
            }
            self.cursors[i] = c;
            if c < set.len() {
                let v = set[c];
                best = match best {
                    Some(b) if b <= v => Some(b),
                    _ => Some(v),
                };
            }
            i += 1;
        }
        best
    }
}

/// Walks the boundaries of the union in ascending order, without allocating.
///
/// A boundary is the first number of an interval other than the one starting
/// at 0: the start `lo` of an allowed range, or `hi + 1` after it. Verdicts
/// alternate at each boundary.
struct Boundaries<'a> {
    union: Union<'a>,
    /// The next number to look at (up to 2^32).
    pos: u64,
    /// Whether `pos` is inside an allowed range.
    inside: bool,
}

impl<'a> Boundaries<'a> {
    /// A walk from 0; also tells whether the interval at 0 is allowed.
    const fn new(sets: &'a [&'a [u32]]) -> (Self, bool) {
        let mut union = Union::new(sets);
        let inside = matches!(union.next_at_least(0), Some(0));
        (
            Boundaries {
                union,
                pos: 0,
                inside,
            },
            inside,
        )
    }

    /// The next boundary, or `None` after the last.
    const fn next(&mut self) -> Option<u32> {
        if self.inside {
            // Find the end of the run starting at `pos`.
            let mut end = self.pos;
            while end < u32::MAX as u64 {
                match self.union.next_at_least(end + 1) {
                    Some(v) if v as u64 == end + 1 => end += 1,
                    _ => break,
                }
            }
            self.inside = false;
            self.pos = end + 1;
            if end == u32::MAX as u64 {
                None
            } else {
                Some((end + 1) as u32)
            }
        } else {
            match self.union.next_at_least(self.pos) {
                Some(lo) => {
                    self.inside = true;
                    self.pos = lo as u64;
                    Some(lo)
                }
                None => {
                    self.pos = u32::MAX as u64 + 1;
                    None
                }
            }
        }
    }
}

/// A `ret` of a constant.
const fn ret(k: u32) -> SockFilter {
    SockFilter::stmt(BPF_RET | BPF_K, k)
}

/// Writes the decision tree into a program whose length is already set.
struct Tree<'a, 'p, const N: usize> {
    prog: &'p mut Program<N>,
    /// The union's boundaries in ascending order, and the next one to use.
    bounds: &'a [u32],
    next_bound: usize,
    /// Whether the interval being written is allowed; flips at each boundary.
    verdict: bool,
    /// The deny action's return value.
    deny: u32,
    levels: Levels,
}

impl<const N: usize> Tree<'_, '_, N> {
    /// Fills the tree over `count` intervals at `pos` (a subtree at `depth`),
    /// visiting intervals and boundaries in ascending (in-order) order so the
    /// union is walked once. Returns `false` if the walk and the layout
    /// disagree (which would be a bug, reported as an error rather than a
    /// panic).
    const fn fill(&mut self, depth: usize, count: usize, pos: usize) -> bool {
        if count == 1 {
            let k = if self.verdict {
                SECCOMP_RET_ALLOW
            } else {
                self.deny
            };
            return self.prog.try_set(pos, ret(k));
        }
        let lower = count / 2;
        let lower_size = match self.levels.size(depth + 1, lower) {
            Some(size) => size,
            None => return false,
        };
        let long = lower_size > MAX_JUMP;
        let lower_pos = pos + 1 + if long { 1 } else { 0 };
        if !self.fill(depth + 1, lower, lower_pos) {
            return false;
        }
        if self.next_bound >= self.bounds.len() {
            return false;
        }
        let boundary = self.bounds[self.next_bound];
        self.next_bound += 1;
        self.verdict = !self.verdict;
        let ok = if long {
            // jt = 0 lands on the `ja` that skips the lower half; jf = 1 skips the `ja`.
            self.prog.try_set(
                pos,
                SockFilter::jump(BPF_JMP | BPF_JGE | BPF_K, boundary, 0, 1),
            ) && self.prog.try_set(
                pos + 1,
                SockFilter::stmt(BPF_JMP | BPF_JA, lower_size as u32),
            )
        } else {
            self.prog.try_set(
                pos,
                SockFilter::jump(BPF_JMP | BPF_JGE | BPF_K, boundary, lower_size as u8, 0),
            )
        };
        ok && self.fill(depth + 1, count - lower, lower_pos + lower_size)
    }
}

/// The tree sizes at each depth, so a node finds its lower half's size in
/// constant time.
///
/// Splitting `n` intervals in halves leaves, at depth `d`, subtrees of
/// `n >> d` or `(n >> d) + 1` intervals only; `sizes[d]` holds their sizes.
struct Levels {
    counts: [usize; Levels::MAX_DEPTH],
    sizes: [(usize, usize); Levels::MAX_DEPTH],
}

impl Levels {
    /// Deeper than any tree of at most 2^32 + 1 intervals.
    const MAX_DEPTH: usize = 40;

    const fn new(n: usize) -> Levels {
        let mut levels = Levels {
            counts: [0; Levels::MAX_DEPTH],
            sizes: [(0, 0); Levels::MAX_DEPTH],
        };
        let mut d = 0;
        while d < Levels::MAX_DEPTH {
            let k = n >> d;
            levels.counts[d] = k;
            levels.sizes[d] = if k == 0 { (0, 1) } else { tree_sizes(k) };
            d += 1;
        }
        levels
    }

    /// The size of a subtree of `count` intervals at `depth`; `None` if no
    /// such subtree exists there (a bug, reported rather than panicking).
    const fn size(&self, depth: usize, count: usize) -> Option<usize> {
        if depth >= Levels::MAX_DEPTH {
            return None;
        }
        let k = self.counts[depth];
        if count == k {
            Some(self.sizes[depth].0)
        } else if count == k + 1 {
            Some(self.sizes[depth].1)
        } else {
            None
        }
    }
}

/// Builds the allowlist filter for `arch` into a `Program<N>`.
///
/// `sets` are slices sorted in ascending order; duplicates inside a set or
/// across sets are fine. The allowed numbers are their union; every other
/// number, and every call from another architecture, gets `deny`.
///
/// The program is, in order: `ld [arch]`; `jeq AUDIT_ARCH, +1, +0`;
/// `ret deny`; `ld [nr]`; then a balanced tree of `jge` over the coalesced
/// ranges, split at the middle interval, with one `ret` per interval. Every
/// number above the largest allowed one falls in the last (deny) interval;
/// real syscall numbers are far below `0x4000_0000`, so on x86-64 every x32
/// call (number with bit `0x4000_0000` set) lands there and needs no
/// instruction of its own (unless the sets themselves list such numbers). An allowed number therefore executes at most
/// `3 + depth + 1` instructions, where `depth = ceil(log2(2R + 1))` for `R`
/// ranges, plus one `ja` per level whose lower half is longer than 255
/// instructions (the `ja` is only on the upper branch). The empty set gives a
/// program that denies everything.
///
/// Errors: [`BuildError::Unsorted`] for an unsorted set,
/// [`BuildError::TooManySets`] for more than [`MAX_SETS`] sets,
/// [`BuildError::TooLong`] past [`BPF_MAXINSNS`] instructions,
/// [`BuildError::BufferTooSmall`] past `N`. It never allocates and never
/// panics; [`capacity_for`] gives a sufficient `N`.
pub const fn build<const N: usize>(
    arch: Arch,
    sets: &[&[u32]],
    deny: Action,
) -> Result<Program<N>, BuildError> {
    // Validate the input.
    if sets.len() > MAX_SETS {
        return Err(BuildError::TooManySets);
    }
    let mut i = 0;
    while i < sets.len() {
        let s = sets[i];
        let mut j = 1;
        while j < s.len() {
            if s[j - 1] > s[j] {
                return Err(BuildError::Unsorted);
            }
            j += 1;
        }
        i += 1;
    }

    // Walk the union once, keeping the boundaries (at most one per
    // instruction of a program that fits) and counting the intervals to know
    // the length before writing anything.
    let (mut walk, starts_allowed) = Boundaries::new(sets);
    let mut bounds = [0u32; N];
    let mut intervals = 1usize;
    while let Some(b) = walk.next() {
        if intervals <= N {
            bounds[intervals - 1] = b;
        }
        intervals += 1;
    }
    let needed = HEADER + tree_size(intervals);
    if needed > BPF_MAXINSNS {
        return Err(BuildError::TooLong { needed });
    }
    if needed > N {
        return Err(BuildError::BufferTooSmall {
            needed,
            capacity: N,
        });
    }

    let deny = deny.to_ret();
    let mut prog = Program::<N>::empty();
    let header = [
        SockFilter::stmt(BPF_LD | BPF_W | BPF_ABS, SECCOMP_DATA_ARCH),
        SockFilter::jump(BPF_JMP | BPF_JEQ | BPF_K, arch.audit_arch(), 1, 0),
        ret(deny),
        SockFilter::stmt(BPF_LD | BPF_W | BPF_ABS, SECCOMP_DATA_NR),
    ];
    let mut i = 0;
    while i < HEADER {
        prog.push(header[i]);
        i += 1;
    }
    // The tree below writes every instruction from HEADER to `needed`.
    prog.set_len(needed);

    // The tree covers all of 0..=u32::MAX: the last interval runs from the
    // end of the highest allowed range to u32::MAX and is denied, which is
    // where x32 numbers (0x4000_0000 | nr) and anything else out of range
    // end up. No separate x32 test is needed, so an allowed number runs
    // exactly 3 header instructions, one `jge` per level (plus any `ja`),
    // and its `ret`.
    let mut tree = Tree {
        prog: &mut prog,
        bounds: bounds.split_at(intervals - 1).0,
        next_bound: 0,
        verdict: starts_allowed,
        deny,
        levels: Levels::new(intervals),
    };
    if !tree.fill(0, intervals, HEADER) {
        // Unreachable: the layout was sized from the same walk. Report it
        // rather than hand out a half-written program.
        return Err(BuildError::BufferTooSmall {
            needed,
            capacity: N,
        });
    }
    Ok(prog)
}

#[cfg(test)]
mod tests {
    use super::*;

    const JGE: u16 = BPF_JMP | BPF_JGE | BPF_K;

    fn prog(sets: &[&[u32]]) -> Program<4096> {
        build::<4096>(Arch::X86_64, sets, Action::KillProcess).unwrap()
    }

    #[test]
    fn more_sets_than_max_sets_is_an_error() {
        let one: &[u32] = &[1];
        let sets = [one; MAX_SETS + 1];
        assert_eq!(
            build::<64>(Arch::X86_64, &sets, Action::KillProcess),
            Err(BuildError::TooManySets)
        );
        assert!(build::<64>(Arch::X86_64, &sets[..MAX_SETS], Action::KillProcess).is_ok());
    }

    #[test]
    fn action_return_values() {
        assert_eq!(Action::KillProcess.to_ret(), 0x8000_0000);
        assert_eq!(Action::KillThread.to_ret(), 0);
        assert_eq!(Action::Trap.to_ret(), 0x0003_0000);
        assert_eq!(Action::Errno(1).to_ret(), 0x0005_0001);
        assert_eq!(Action::Errno(u16::MAX).to_ret(), 0x0005_ffff);
        assert_eq!(Action::Log.to_ret(), 0x7ffc_0000);
        assert_eq!(Action::Notify.to_ret(), 0x7fc0_0000);
        assert_eq!(Action::Allow.to_ret(), 0x7fff_0000);
    }

    #[test]
    fn header_then_tree_for_one_range() {
        // {0, 1, 2}: intervals [0,2] allow, [3, MAX] deny.
        let p = prog(&[&[0, 1, 2]]);
        let kill = SECCOMP_RET_KILL_PROCESS;
        assert_eq!(
            p.as_slice(),
            &[
                SockFilter::stmt(BPF_LD | BPF_W | BPF_ABS, 4),
                SockFilter::jump(BPF_JMP | BPF_JEQ | BPF_K, 0xC000_003E, 1, 0),
                ret(kill),
                SockFilter::stmt(BPF_LD | BPF_W | BPF_ABS, 0),
                SockFilter::jump(JGE, 3, 1, 0),
                ret(SECCOMP_RET_ALLOW),
                ret(kill),
            ]
        );
    }

    #[test]
    fn tree_for_two_ranges() {
        // {5, 7, 8}: deny [0,4], allow [5], deny [6], allow [7,8], deny [9..].
        let p = prog(&[&[7, 8], &[5, 8]]);
        let d = SECCOMP_RET_KILL_PROCESS;
        let a = SECCOMP_RET_ALLOW;
        // 5 intervals: lower half 2 (size 3), upper half 3 (size 5).
        assert_eq!(
            &p.as_slice()[4..],
            &[
                SockFilter::jump(JGE, 6, 3, 0),
                SockFilter::jump(JGE, 5, 1, 0),
                ret(d),
                ret(a),
                SockFilter::jump(JGE, 7, 1, 0),
                ret(d),
                SockFilter::jump(JGE, 9, 1, 0),
                ret(a),
                ret(d),
            ]
        );
    }

    #[test]
    fn ranges_touching_the_ends() {
        // {0} and {u32::MAX}: allow [0], deny [1, MAX-1], allow [MAX].
        let p = prog(&[&[0, u32::MAX]]);
        let d = SECCOMP_RET_KILL_PROCESS;
        let a = SECCOMP_RET_ALLOW;
        assert_eq!(
            &p.as_slice()[4..],
            &[
                SockFilter::jump(JGE, 1, 1, 0),
                ret(a),
                SockFilter::jump(JGE, u32::MAX, 1, 0),
                ret(d),
                ret(a),
            ]
        );
        // A range ending at u32::MAX has no boundary after it.
        let p = prog(&[&[u32::MAX - 1, u32::MAX]]);
        assert_eq!(
            &p.as_slice()[4..],
            &[SockFilter::jump(JGE, u32::MAX - 1, 1, 0), ret(d), ret(a)]
        );
    }

    #[test]
    fn empty_set_denies_everything() {
        let p = build::<5>(Arch::Aarch64, &[], Action::Errno(1)).unwrap();
        assert_eq!(p.len(), 5);
        assert_eq!(p.as_slice()[4], ret(SECCOMP_RET_ERRNO | 1));
        let p = build::<5>(Arch::Aarch64, &[&[], &[]], Action::Errno(1)).unwrap();
        assert_eq!(p.len(), 5);
    }

    #[test]
    fn errors() {
        assert_eq!(
            build::<64>(Arch::X86_64, &[&[2, 1]], Action::KillProcess),
            Err(BuildError::Unsorted)
        );
        assert_eq!(
            build::<8>(Arch::X86_64, &[&[1, 3]], Action::KillProcess),
            Err(BuildError::BufferTooSmall {
                needed: 13,
                capacity: 8
            })
        );
        let even: Vec<u32> = (0..1100).map(|i| 2 * i).collect();
        match build::<4096>(Arch::X86_64, &[&even], Action::KillProcess) {
            Err(BuildError::TooLong { needed }) => assert!(needed > 4096),
            other => panic!("{other:?}"),
        }
        // Zero capacity is just a small buffer.
        assert!(matches!(
            build::<0>(Arch::X86_64, &[], Action::KillProcess),
            Err(BuildError::BufferTooSmall { needed: 5, .. })
        ));
        for e in [
            BuildError::TooLong { needed: 5000 },
            BuildError::BufferTooSmall {
                needed: 9,
                capacity: 4,
            },
            BuildError::Unsorted,
        ] {
            assert!(!e.message().is_empty());
            assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn long_lower_half_uses_ja() {
        // 200 isolated numbers: 401 intervals, the root's lower half (200
        // intervals, 399 instructions) is too far for jt.
        let set: Vec<u32> = (0..200).map(|i| 10 + 3 * i).collect();
        let p = prog(&[&set]);
        let s = p.as_slice();
        assert_eq!(s[4].code, JGE);
        assert_eq!((s[4].jt, s[4].jf), (0, 1));
        assert_eq!(s[5].code, BPF_JMP | BPF_JA);
        assert_eq!(s[5].k as usize, tree_size(200));
        assert_eq!(s.len(), HEADER + tree_size(401));
    }

    #[test]
    fn tree_sizes_match_the_recurrence() {
        fn naive(n: usize) -> usize {
            if n == 1 {
                return 1;
            }
            let l = naive(n / 2);
            let r = naive(n - n / 2);
            1 + l + r + usize::from(l > 255)
        }
        for n in 1..3000 {
            assert_eq!(tree_size(n), naive(n), "n = {n}");
        }
    }

    #[test]
    fn capacity_examples() {
        assert_eq!(capacity_for(0), 5);
        assert_eq!(capacity_for(1), 9);
        assert_eq!(capacity_for(3), 17);
        assert_eq!(capacity_for(1022), 4096);
        assert_eq!(capacity_for(usize::MAX), 4096);
        let mut last = 0;
        for m in 0..1100 {
            let c = capacity_for(m);
            assert!(c >= last && c <= 4096);
            last = c;
        }
    }

    #[test]
    fn static_program_compiles() {
        static P: Program<64> = match build::<64>(Arch::X86_64, &[&[0, 1, 2]], Action::KillProcess)
        {
            Ok(p) => p,
            Err(e) => panic!("{}", e.message()),
        };
        assert_eq!(P.len(), 7);
    }
}
