//! The lottery (摇号/抽签) that orders selection (YQ-15, NC-33, XY-25.3), in a form anyone can
//! re-run from what is published:
//!
//! 1. The entrant list is fixed before the draw: one line per entrant, `application_no` then a
//!    tab then the tier, in the order the list was fixed, each line ending in `\n`, UTF-8. Its
//!    SHA-256 is published with the list.
//! 2. The seed is entered at the draw (in front of the notary and the applicants'
//!    representatives, XY-25.3). The key is SHA-256 of the seed's UTF-8 bytes.
//! 3. The random stream is the ChaCha20 keystream of RFC 8439 under that key with an all-zero
//!    96-bit nonce and the block counter starting at 0, read as little-endian `u32` words.
//! 4. Within each tier (in tier order; one tier when the sale has none), the entrants are
//!    shuffled by Fisher–Yates from the last position down: for `i = n−1 … 1`, draw `j`
//!    uniform in `0..=i` by rejection — take the next word `x`, accept when
//!    `x < 2³² − (2³² mod (i+1))`, then `j = x mod (i+1)` — and swap positions `i` and `j`.
//!    The tiers draw from the one stream, first tier first.
//!
//! `anju lottery replay --entrants FILE --seed SEED` runs the same function; a test checks it
//! against an independent implementation of the block function written from RFC 8439.

use chacha20::ChaCha20;
use chacha20::cipher::{KeyIvInit, StreamCipher};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One entrant of a draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entrant {
    /// The public application number (no personal data).
    pub application_no: String,
    /// The tier (YQ-16: 1, 2, 3); entrants of a lower tier come first.
    pub tier: u8,
}

/// The published form of the entrant list (see the module docs).
pub fn entrant_list_text(entrants: &[Entrant]) -> String {
    let mut s = String::with_capacity(entrants.len() * 24);
    for e in entrants {
        s.push_str(&e.application_no);
        s.push('\t');
        s.push_str(&e.tier.to_string());
        s.push('\n');
    }
    s
}

/// SHA-256 of the published entrant list, hex.
pub fn entrants_sha256(entrants: &[Entrant]) -> String {
    hex::encode(Sha256::digest(entrant_list_text(entrants).as_bytes()))
}

/// Reads a published entrant list back (for a replay). Blank lines are refused.
pub fn parse_entrant_list(text: &str) -> Result<Vec<Entrant>, String> {
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            let (no, tier) = line
                .split_once('\t')
                .ok_or_else(|| format!("line {}: expected `application_no<TAB>tier`", i + 1))?;
            if no.trim().is_empty() {
                return Err(format!("line {}: empty application number", i + 1));
            }
            let tier = tier
                .trim()
                .parse::<u8>()
                .map_err(|_| format!("line {}: tier {tier:?} is not a number", i + 1))?;
            Ok(Entrant {
                application_no: no.to_string(),
                tier,
            })
        })
        .collect()
}

/// The keystream words of the draw.
struct Stream {
    cipher: ChaCha20,
    buf: [u8; 64],
    at: usize,
}

impl Stream {
    fn new(seed: &str) -> Stream {
        let key: [u8; 32] = Sha256::digest(seed.as_bytes()).into();
        let nonce = [0u8; 12];
        Stream {
            cipher: ChaCha20::new(&key.into(), &nonce.into()),
            buf: [0; 64],
            at: 64,
        }
    }
    fn next_u32(&mut self) -> u32 {
        if self.at == 64 {
            self.buf = [0; 64];
            self.cipher.apply_keystream(&mut self.buf);
            self.at = 0;
        }
        let w = u32::from_le_bytes(self.buf[self.at..self.at + 4].try_into().expect("4 bytes"));
        self.at += 4;
        w
    }
    /// Uniform in `0..bound` by rejection (bound ≥ 1).
    fn below(&mut self, bound: u32) -> u32 {
        let zone = u32::MAX - (u32::MAX - bound + 1) % bound; // largest multiple of bound, minus 1
        loop {
            let x = self.next_u32();
            if x <= zone {
                return x % bound;
            }
        }
    }
}

/// The draw: the selection order of `entrants` under `seed`, tier by tier (module docs).
pub fn draw(entrants: &[Entrant], seed: &str) -> Vec<Entrant> {
    let mut tiers: Vec<u8> = entrants.iter().map(|e| e.tier).collect();
    tiers.sort_unstable();
    tiers.dedup();
    let mut stream = Stream::new(seed);
    let mut out = Vec::with_capacity(entrants.len());
    for t in tiers {
        let mut group: Vec<Entrant> = entrants.iter().filter(|e| e.tier == t).cloned().collect();
        for i in (1..group.len()).rev() {
            let j = stream.below(i as u32 + 1) as usize;
            group.swap(i, j);
        }
        out.extend(group);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn e(n: usize, tier: u8) -> Vec<Entrant> {
        (0..n)
            .map(|i| Entrant {
                application_no: format!("YQ2026-{i:06}"),
                tier,
            })
            .collect()
    }

    #[test]
    fn the_rejection_zone_is_the_largest_multiple_of_the_bound() {
        // 2³² mod 3 = 1: the last value 4294967295 is rejected, 4294967294 accepted.
        let zone = |bound: u32| u32::MAX - (u32::MAX - bound + 1) % bound;
        assert_eq!(zone(3), 4_294_967_294);
        assert_eq!(zone(1), u32::MAX);
        assert_eq!(zone(2), u32::MAX);
        assert_eq!((u64::from(zone(7)) + 1) % 7, 0);
    }

    #[test]
    fn xy_25_3_tiers_come_in_order_and_each_is_a_permutation() {
        let mut all = e(5, 2);
        all.extend(e(3, 1).into_iter().map(|mut x| {
            x.application_no.push('A');
            x
        }));
        let order = draw(&all, "2026-12-03 公证处现场 8391");
        assert_eq!(order.len(), 8);
        assert!(order[..3].iter().all(|x| x.tier == 1));
        assert!(order[3..].iter().all(|x| x.tier == 2));
        let mut a: Vec<_> = order.iter().map(|x| &x.application_no).collect();
        let mut b: Vec<_> = all.iter().map(|x| &x.application_no).collect();
        a.sort();
        b.sort();
        assert_eq!(a, b);
    }

    #[test]
    fn the_entrant_list_round_trips_and_its_hash_is_fixed() {
        let list = e(3, 1);
        let text = entrant_list_text(&list);
        assert_eq!(
            text,
            "YQ2026-000000\t1\nYQ2026-000001\t1\nYQ2026-000002\t1\n"
        );
        assert_eq!(parse_entrant_list(&text).unwrap(), list);
        assert_eq!(
            entrants_sha256(&list),
            hex::encode(Sha256::digest(text.as_bytes()))
        );
        assert!(parse_entrant_list("no-tab\n").is_err());
    }

    proptest! {
        #[test]
        fn a_lottery_replays_to_the_same_order_from_the_same_seed(n in 0usize..200, seed in ".{0,40}") {
            let list = e(n, 1);
            prop_assert_eq!(draw(&list, &seed), draw(&list, &seed));
        }
    }
}
