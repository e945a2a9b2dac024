//! Sets of argument values as unions of cubes, where a cube is every
//! 64-bit register value whose masked bits equal a value
//! (`x & mask == value`).
//!
//! Every comparison of the rule language is exactly such a union: a
//! masked test is one cube, `==` is one cube with a full mask, and `!=`,
//! `<`, `<=`, `>`, `>=` are at most one cube per bit (the values sharing a
//! prefix with the constant and differing from it at one bit). A 32-bit
//! comparison constrains the low 32 bits only, so its cubes leave the high
//! half free, which is what the kernel reads. Intersections of cubes are
//! cubes, so conditions in disjunctive normal form become unions of cubes
//! per argument.
//!
//! Two users: lints (a conjunction whose cubes do not meet can never hold)
//! and the OCI export, whose `SCMP_CMP_MASKED_EQ` is exactly one cube, so
//! any condition can be written for libseccomp without comparing bits the
//! kernel ignores.

use seccomp_policy_core::rule::{ArgCmp, CmpOp};

/// `{x : x & mask == value}`, with `value & !mask == 0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cube {
    /// The bits that are fixed.
    pub mask: u64,
    /// Their values.
    pub value: u64,
}

impl Cube {
    /// Every value.
    pub const ALL: Cube = Cube { mask: 0, value: 0 };

    /// Whether `x` is in the cube.
    pub fn contains(&self, x: u64) -> bool {
        x & self.mask == self.value
    }

    /// The values in both cubes, if any.
    pub fn intersect(&self, other: &Cube) -> Option<Cube> {
        let common = self.mask & other.mask;
        if (self.value ^ other.value) & common != 0 {
            return None;
        }
        Some(Cube {
            mask: self.mask | other.mask,
            value: self.value | other.value,
        })
    }

    /// Whether every value of `self` is in `other`.
    pub fn is_subset_of(&self, other: &Cube) -> bool {
        other.mask & !self.mask == 0 && self.value & other.mask == other.value
    }

    /// Whether this is every value.
    pub fn is_all(&self) -> bool {
        self.mask == 0
    }
}

/// The mask of the low `bits` bits (32 or 64).
fn width_mask(bits: u8) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

/// The bits of `wmask` at and above bit `i`.
fn from_bit(wmask: u64, i: u32) -> u64 {
    wmask & !((1u64 << i) - 1)
}

/// The register values (all 64 bits) for which `cmp` holds, as disjoint
/// cubes: what [`ArgCmp::matches`] accepts, exactly.
pub fn cubes_of(cmp: &ArgCmp) -> Vec<Cube> {
    let w = width_mask(cmp.bits);
    let top = if cmp.bits >= 64 {
        64
    } else {
        u32::from(cmp.bits)
    };
    let v = cmp.value & w;
    if cmp.value & !w != 0 {
        // A constant wider than the comparison: `==` never holds, `!=` always.
        return match cmp.op {
            CmpOp::Eq | CmpOp::Gt | CmpOp::Ge => Vec::new(),
            CmpOp::Ne | CmpOp::Lt | CmpOp::Le | CmpOp::MaskedNe(_) => vec![Cube::ALL],
            CmpOp::MaskedEq(m) => {
                if cmp.value & !(m & w) != 0 {
                    Vec::new()
                } else {
                    vec![Cube {
                        mask: m & w,
                        value: cmp.value,
                    }]
                }
            }
        };
    }
    // Values that agree with `v` above bit `i` and have bit `i` = `bit`.
    let split = |i: u32, bit: bool| {
        let mask = from_bit(w, i);
        let above = v & mask & !(1u64 << i);
        Cube {
            mask,
            value: if bit { above | (1u64 << i) } else { above },
        }
    };
    let less_than = |v: u64| -> Vec<Cube> {
        (0..top)
            .rev()
            .filter(|&i| v & (1u64 << i) != 0)
            .map(|i| {
                let mask = from_bit(w, i);
                Cube {
                    mask,
                    value: v & mask & !(1u64 << i),
                }
            })
            .collect()
    };
    let greater_than = |v: u64| -> Vec<Cube> {
        (0..top)
            .rev()
            .filter(|&i| v & (1u64 << i) == 0)
            .map(|i| {
                let mask = from_bit(w, i);
                Cube {
                    mask,
                    value: (v & mask) | (1u64 << i),
                }
            })
            .collect()
    };
    match cmp.op {
        CmpOp::Eq => vec![Cube { mask: w, value: v }],
        CmpOp::Ne => (0..top)
            .rev()
            .map(|i| split(i, v & (1u64 << i) == 0))
            .collect(),
        CmpOp::Lt => less_than(v),
        CmpOp::Le if v == w => vec![Cube::ALL],
        CmpOp::Le => less_than(v + 1),
        CmpOp::Gt => greater_than(v),
        CmpOp::Ge if v == 0 => vec![Cube::ALL],
        CmpOp::Ge => greater_than(v - 1),
        CmpOp::MaskedEq(m) => {
            let m = m & w;
            if v & !m != 0 {
                Vec::new()
            } else {
                vec![Cube { mask: m, value: v }]
            }
        }
        CmpOp::MaskedNe(m) => {
            let m = m & w;
            if v & !m != 0 {
                return vec![Cube::ALL];
            }
            // Agree with `v` on the mask's bits above `i`, differ at `i`.
            (0..64u32)
                .rev()
                .filter(|&i| m & (1u64 << i) != 0)
                .map(|i| {
                    let mask = m & !((1u64 << i) - 1);
                    Cube {
                        mask,
                        value: (v & mask) ^ (1u64 << i),
                    }
                })
                .collect()
        }
    }
}

/// The values in both unions, with cubes contained in others dropped.
pub fn intersect(a: &[Cube], b: &[Cube]) -> Vec<Cube> {
    let mut out = Vec::new();
    for x in a {
        for y in b {
            if let Some(c) = x.intersect(y) {
                out.push(c);
            }
        }
    }
    normalize(out)
}

/// The union without repeats and without cubes contained in another one,
/// in a fixed order.
pub fn normalize(mut cubes: Vec<Cube>) -> Vec<Cube> {
    cubes.sort();
    cubes.dedup();
    let keep: Vec<bool> = cubes
        .iter()
        .enumerate()
        .map(|(i, c)| {
            !cubes
                .iter()
                .enumerate()
                .any(|(j, d)| i != j && c.is_subset_of(d) && (c != d))
        })
        .collect();
    cubes
        .into_iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(c, _)| c)
        .collect()
}

/// The values of argument `arg` for which every comparison of `conj` on
/// that argument holds, as cubes; `[Cube::ALL]` when none is on it.
pub fn arg_cubes(conj: &[ArgCmp], arg: u8) -> Vec<Cube> {
    conj.iter()
        .filter(|c| c.arg == arg)
        .fold(vec![Cube::ALL], |acc, c| intersect(&acc, &cubes_of(c)))
}

/// Whether some arguments satisfy every comparison of `conj`.
pub fn satisfiable(conj: &[ArgCmp]) -> bool {
    (0..6).all(|arg| !arg_cubes(conj, arg).is_empty()) && conj.iter().all(|c| c.arg < 6)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(bits: u8, op: CmpOp, value: u64) -> ArgCmp {
        ArgCmp {
            arg: 0,
            bits,
            op,
            value,
        }
    }

    /// Values around every bit boundary of `v`, with high garbage too.
    fn probes(v: u64) -> Vec<u64> {
        let mut out = vec![0, 1, u64::MAX, u64::MAX - 1, 0xffff_ffff, 0x1_0000_0000];
        for d in [0u64, 1, 2] {
            out.push(v.wrapping_add(d));
            out.push(v.wrapping_sub(d));
        }
        for i in 0..64 {
            out.push(v ^ (1 << i));
            out.push(1 << i);
        }
        let more: Vec<u64> = out
            .iter()
            .flat_map(|x| [x ^ 0xdead_beef_0000_0000, x & 0xffff_ffff, x | (1 << 40)])
            .collect();
        out.extend(more);
        out
    }

    #[test]
    fn cubes_are_exactly_the_comparison() {
        let mut n = 0;
        for bits in [32u8, 64] {
            for v in [
                0u64,
                1,
                2,
                5,
                0x5412,
                0x541c,
                0x8000_0000,
                0xffff_ffff,
                u64::MAX,
                1 << 40,
            ] {
                let v = if bits == 32 { v & 0xffff_ffff } else { v };
                for op in [
                    CmpOp::Eq,
                    CmpOp::Ne,
                    CmpOp::Lt,
                    CmpOp::Le,
                    CmpOp::Gt,
                    CmpOp::Ge,
                    CmpOp::MaskedEq(0x10000),
                    CmpOp::MaskedNe(0x10000),
                    CmpOp::MaskedEq(0xff0),
                    CmpOp::MaskedNe(0xff0),
                ] {
                    let c = cmp(bits, op, v);
                    let cubes = cubes_of(&c);
                    for x in probes(v) {
                        let args = [x, 0, 0, 0, 0, 0];
                        let inside = cubes.iter().filter(|q| q.contains(x)).count();
                        assert!(inside <= 1, "{c:?}: cubes overlap at {x:#x}");
                        assert_eq!(inside == 1, c.matches(&args), "{c:?} at {x:#x}: {cubes:?}");
                        n += 1;
                    }
                }
            }
        }
        assert!(n > 10_000);
    }

    #[test]
    fn thirty_two_bit_cubes_leave_the_high_half_free() {
        for op in [CmpOp::Ne, CmpOp::Lt, CmpOp::Gt, CmpOp::Eq] {
            for c in cubes_of(&cmp(32, op, 0x5412)) {
                assert_eq!(c.mask >> 32, 0, "{op:?}");
            }
        }
    }

    #[test]
    fn intersections_and_satisfiability() {
        let ne = |v| cmp(32, CmpOp::Ne, v);
        let both = intersect(&cubes_of(&ne(0x5412)), &cubes_of(&ne(0x541c)));
        for x in probes(0x5412).into_iter().chain(probes(0x541c)) {
            let want = x & 0xffff_ffff != 0x5412 && x & 0xffff_ffff != 0x541c;
            assert_eq!(both.iter().any(|c| c.contains(x)), want, "{x:#x}");
        }
        assert!(both.len() < 40, "{}", both.len());
        assert!(!satisfiable(&[
            cmp(64, CmpOp::Eq, 1),
            cmp(64, CmpOp::Eq, 2)
        ]));
        assert!(!satisfiable(&[
            cmp(64, CmpOp::Lt, 5),
            cmp(64, CmpOp::Gt, 10)
        ]));
        assert!(satisfiable(&[
            cmp(64, CmpOp::Gt, 5),
            cmp(64, CmpOp::Lt, 10)
        ]));
        assert!(!satisfiable(&[
            cmp(64, CmpOp::MaskedEq(1), 1),
            cmp(64, CmpOp::MaskedEq(1), 0)
        ]));
        let mut other = cmp(64, CmpOp::Eq, 2);
        other.arg = 1;
        assert!(satisfiable(&[cmp(64, CmpOp::Eq, 1), other]));
        assert!(satisfiable(&[]));
        assert_eq!(
            normalize(vec![Cube::ALL, Cube { mask: 1, value: 1 }]),
            [Cube::ALL]
        );
    }
}
