//! The lottery anyone can re-run (issue 13; YQ-15, NC-33, XY-25.3): `anju lottery replay`
//! against an implementation written here from the published description alone — the ChaCha20
//! block function from RFC 8439 §2.3 (checked on its §2.3.2 test vector), the key as SHA-256
//! of the seed, Fisher–Yates from the last position down with rejection sampling, tier by tier.

use sha2::{Digest, Sha256};
use std::process::Command;

fn quarter(s: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(16);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(12);
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(8);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(7);
}

/// RFC 8439 §2.3: the block function, as sixteen little-endian words.
fn block(key: &[u8; 32], counter: u32, nonce: &[u8; 12]) -> [u32; 16] {
    let le = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    let mut init = [0u32; 16];
    init[..4].copy_from_slice(&[0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574]);
    for i in 0..8 {
        init[4 + i] = le(&key[4 * i..]);
    }
    init[12] = counter;
    for i in 0..3 {
        init[13 + i] = le(&nonce[4 * i..]);
    }
    let mut s = init;
    for _ in 0..10 {
        quarter(&mut s, 0, 4, 8, 12);
        quarter(&mut s, 1, 5, 9, 13);
        quarter(&mut s, 2, 6, 10, 14);
        quarter(&mut s, 3, 7, 11, 15);
        quarter(&mut s, 0, 5, 10, 15);
        quarter(&mut s, 1, 6, 11, 12);
        quarter(&mut s, 2, 7, 8, 13);
        quarter(&mut s, 3, 4, 9, 14);
    }
    for i in 0..16 {
        s[i] = s[i].wrapping_add(init[i]);
    }
    s
}

struct Words {
    key: [u8; 32],
    counter: u32,
    buf: Vec<u32>,
}

impl Words {
    fn next(&mut self) -> u32 {
        if self.buf.is_empty() {
            let mut b = block(&self.key, self.counter, &[0; 12]).to_vec();
            b.reverse();
            self.buf = b;
            self.counter += 1;
        }
        self.buf.pop().unwrap()
    }
}

/// The order, from the description in the module docs of `domain::allocation::lottery`.
fn independent_draw(list: &[(String, u8)], seed: &str) -> Vec<String> {
    let mut w = Words {
        key: Sha256::digest(seed.as_bytes()).into(),
        counter: 0,
        buf: Vec::new(),
    };
    let mut tiers: Vec<u8> = list.iter().map(|e| e.1).collect();
    tiers.sort();
    tiers.dedup();
    let mut out = Vec::new();
    for t in tiers {
        let mut g: Vec<String> = list
            .iter()
            .filter(|e| e.1 == t)
            .map(|e| e.0.clone())
            .collect();
        for i in (1..g.len()).rev() {
            let n = (i + 1) as u64;
            let limit = (1u64 << 32) - ((1u64 << 32) % n);
            let j = loop {
                let x = u64::from(w.next());
                if x < limit {
                    break (x % n) as usize;
                }
            };
            g.swap(i, j);
        }
        out.extend(g);
    }
    out
}

#[test]
fn rfc_8439_2_3_2_block_function_test_vector() {
    let key: [u8; 32] = std::array::from_fn(|i| i as u8);
    let nonce = [0, 0, 0, 0x09, 0, 0, 0, 0x4a, 0, 0, 0, 0];
    let out = block(&key, 1, &nonce);
    assert_eq!(
        out,
        [
            0xe4e7f110, 0x15593bd1, 0x1fdd0f50, 0xc47120a3, 0xc7f4d1c7, 0x0368c033, 0x9aaa2204,
            0x4e6cd4c3, 0x466482d2, 0x09aa9f07, 0x05d7c214, 0xa2028bd9, 0xd19c12b5, 0xb94e16de,
            0xe883d0cb, 0x4e3c50a2
        ]
    );
}

#[test]
fn yq_15_nc_33_xy_25_3_anju_lottery_replay_matches_an_independent_implementation() {
    // 2,000 entrants in three tiers (YQ-16), listed out of tier order.
    let list: Vec<(String, u8)> = (0..2000)
        .map(|i| (format!("YQ2026-{i:06}"), [2u8, 1, 3, 1][i % 4]))
        .collect();
    let text: String = list.iter().map(|(n, t)| format!("{n}\t{t}\n")).collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("entrants.txt");
    std::fs::write(&file, &text).unwrap();
    for seed in ["2026-12-01 城区公证处 739415", "x", "南昌 2026-12-01 0427"] {
        let out = Command::new(env!("CARGO_BIN_EXE_anju"))
            .args(["lottery", "replay", "--entrants"])
            .arg(&file)
            .args(["--seed", seed])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        let mut lines = stdout.lines();
        assert_eq!(
            lines.next().unwrap(),
            format!(
                "# entrants sha256 {}",
                hex::encode(Sha256::digest(text.as_bytes()))
            )
        );
        let replay: Vec<String> = lines.map(str::to_string).collect();
        let expected = independent_draw(&list, seed);
        assert_eq!(replay, expected, "seed {seed}");
        // Tier 1 first, then 2, then 3; a permutation of the list.
        assert!(
            replay[..1000]
                .iter()
                .all(|n| list.iter().any(|e| &e.0 == n && e.1 == 1))
        );
        let mut sorted = replay.clone();
        sorted.sort();
        let mut all: Vec<String> = list.iter().map(|e| e.0.clone()).collect();
        all.sort();
        assert_eq!(sorted, all);
    }
}

#[test]
fn lottery_replay_refuses_a_malformed_list() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.txt");
    std::fs::write(&file, "YQ2026-000001 1\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_anju"))
        .args(["lottery", "replay", "--entrants"])
        .arg(&file)
        .args(["--seed", "seed-seed"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 1"));
}
