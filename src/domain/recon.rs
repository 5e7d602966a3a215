//! HS-F7 reconciliation (账实相符): matching a bank statement against the book lines of the same
//! account. Pure: the caller loads the unmatched items on each side and stores the matches.
//!
//! Amounts carry the book's sign on both sides: money into the account is positive on the
//! statement and a debit in the book. Each item is matched at most once. Rules, in order:
//! 1. `reference` (score 100): the statement's reference names the entry's idempotency key and
//!    the amounts are equal, within the date window.
//! 2. `amount_date` (score 90 − 10 × days apart): equal amounts within the window; the nearest
//!    date wins, and a tie between two candidates is left for a person.
//! 3. `many_to_one` (score 70): several book lines of one date that together equal one statement
//!    line within the window (a bank's batch), or several statement lines of one date that
//!    together equal one book line (a payment split by the bank).

use chrono::NaiveDate;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankItem {
    pub id: i64,
    pub date: NaiveDate,
    pub amount_fen: i64,
    pub reference: String,
}

/// A book line: (entry seq, line number).
pub type BookRef = (i64, i64);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookItem {
    pub id: BookRef,
    pub date: NaiveDate,
    pub amount_fen: i64,
    pub key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Proposed {
    pub bank: Vec<i64>,
    pub book: Vec<BookRef>,
    pub rule: &'static str,
    pub score: i64,
}

pub fn auto_match(bank: &[BankItem], book: &[BookItem], window_days: i64) -> Vec<Proposed> {
    let mut used_bank: BTreeSet<i64> = BTreeSet::new();
    let mut used_book: BTreeSet<BookRef> = BTreeSet::new();
    let mut out = Vec::new();
    let near = |a: NaiveDate, b: NaiveDate| (a - b).num_days().abs() <= window_days;
    // 1. reference
    for b in bank {
        if let Some(k) = book.iter().find(|k| {
            !used_book.contains(&k.id)
                && k.amount_fen == b.amount_fen
                && near(k.date, b.date)
                && !k.key.is_empty()
                && b.reference.contains(&k.key)
        }) {
            used_bank.insert(b.id);
            used_book.insert(k.id);
            out.push(Proposed {
                bank: vec![b.id],
                book: vec![k.id],
                rule: "reference",
                score: 100,
            });
        }
    }
    // 2. amount and date
    for b in bank {
        if used_bank.contains(&b.id) {
            continue;
        }
        let mut cands: Vec<(&BookItem, i64)> = book
            .iter()
            .filter(|k| {
                !used_book.contains(&k.id) && k.amount_fen == b.amount_fen && near(k.date, b.date)
            })
            .map(|k| (k, (k.date - b.date).num_days().abs()))
            .collect();
        cands.sort_by_key(|(_, d)| *d);
        let pick = match cands.as_slice() {
            [] => None,
            [only] => Some(*only),
            [first, second, ..] if first.1 < second.1 => Some(*first),
            _ => None,
        };
        if let Some((k, days)) = pick {
            used_bank.insert(b.id);
            used_book.insert(k.id);
            out.push(Proposed {
                bank: vec![b.id],
                book: vec![k.id],
                rule: "amount_date",
                score: 90 - 10 * days,
            });
        }
    }
    // 3. many book lines of one date → one statement line
    for b in bank {
        if used_bank.contains(&b.id) {
            continue;
        }
        let mut by_date: BTreeMap<NaiveDate, Vec<&BookItem>> = BTreeMap::new();
        for k in book
            .iter()
            .filter(|k| !used_book.contains(&k.id) && near(k.date, b.date))
        {
            by_date.entry(k.date).or_default().push(k);
        }
        if let Some(group) = by_date
            .values()
            .find(|g| g.len() > 1 && g.iter().map(|k| k.amount_fen).sum::<i64>() == b.amount_fen)
        {
            used_bank.insert(b.id);
            for k in group {
                used_book.insert(k.id);
            }
            out.push(Proposed {
                bank: vec![b.id],
                book: group.iter().map(|k| k.id).collect(),
                rule: "many_to_one",
                score: 70,
            });
        }
    }
    // …and many statement lines of one date → one book line
    for k in book {
        if used_book.contains(&k.id) {
            continue;
        }
        let mut by_date: BTreeMap<NaiveDate, Vec<&BankItem>> = BTreeMap::new();
        for b in bank
            .iter()
            .filter(|b| !used_bank.contains(&b.id) && near(k.date, b.date))
        {
            by_date.entry(b.date).or_default().push(b);
        }
        if let Some(group) = by_date
            .values()
            .find(|g| g.len() > 1 && g.iter().map(|b| b.amount_fen).sum::<i64>() == k.amount_fen)
        {
            used_book.insert(k.id);
            for b in group {
                used_bank.insert(b.id);
            }
            out.push(Proposed {
                bank: group.iter().map(|b| b.id).collect(),
                book: vec![k.id],
                rule: "many_to_one",
                score: 70,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }
    fn bank(id: i64, date: &str, fen: i64, r: &str) -> BankItem {
        BankItem {
            id,
            date: d(date),
            amount_fen: fen,
            reference: r.into(),
        }
    }
    fn book(seq: i64, date: &str, fen: i64, key: &str) -> BookItem {
        BookItem {
            id: (seq, 1),
            date: d(date),
            amount_fen: fen,
            key: key.into(),
        }
    }

    #[test]
    fn hs_f7_matching_rules_each_item_once() {
        let bank_items = [
            bank(1, "2026-11-02", 5_000_000_000, "专项债 bond-1"),
            bank(2, "2026-11-04", -148_486_800, "转账"),
            bank(3, "2026-11-10", -30_000, "批量代发"),
            bank(4, "2026-11-12", -5_000, "手续费"),
            bank(5, "2026-11-20", -100_000, "分笔1"),
            bank(6, "2026-11-20", -50_000, "分笔2"),
        ];
        let book_items = [
            book(1, "2026-11-02", 5_000_000_000, "bond-1"),
            book(2, "2026-11-03", -148_486_800, "pay-1"),
            book(3, "2026-11-10", -10_000, "sub-1"),
            book(4, "2026-11-10", -20_000, "sub-2"),
            book(5, "2026-11-19", -150_000, "pay-2"),
            book(6, "2026-12-30", -999, "late"),
        ];
        let m = auto_match(&bank_items, &book_items, 3);
        let got: Vec<(Vec<i64>, Vec<i64>, &str, i64)> = m
            .iter()
            .map(|p| {
                (
                    p.bank.clone(),
                    p.book.iter().map(|b| b.0).collect(),
                    p.rule,
                    p.score,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (vec![1], vec![1], "reference", 100),
                (vec![2], vec![2], "amount_date", 80),
                (vec![3], vec![3, 4], "many_to_one", 70),
                (vec![5, 6], vec![5], "many_to_one", 70),
            ]
        );
        // The bank charge and the late book line stay unmatched, for a person to look at.
        let matched_bank: BTreeSet<i64> = m.iter().flat_map(|p| p.bank.clone()).collect();
        assert!(!matched_bank.contains(&4));
    }

    #[test]
    fn hs_f7_a_tie_is_left_for_a_person() {
        let m = auto_match(
            &[bank(1, "2026-11-05", -100, "")],
            &[
                book(1, "2026-11-04", -100, "a"),
                book(2, "2026-11-06", -100, "b"),
            ],
            3,
        );
        assert!(m.is_empty());
    }
}
