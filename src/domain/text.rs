//! Free text a person types (issue 15): every text field has a stated maximum and one character
//! policy, checked where the text enters, so nothing unbounded or unprintable reaches an
//! append-only record, a page, a workbook or an auditor's export.
//!
//! - A one-line field (a name, a memo, a reference) holds no control character at all — no
//!   newline, tab or carriage return — and neither starts nor ends with a space, so the
//!   hledger and beancount exports carry it byte for byte on one line.
//! - A many-line field (a comment, a reason, a note) may hold line breaks (`\n`, `\r\n`) and
//!   tabs, no other control character.
//! - Neither holds the Unicode controls that reorder or hide text (bidi embeddings, overrides
//!   and isolates; line and paragraph separators; zero-width no-break space), which would make a
//!   printed record read differently from what is stored.
//!
//! Lengths count characters (a CJK character is one), not bytes.

/// A name or title: a project, a company, an account label.
pub const NAME_MAX: usize = 200;
/// A ledger entry's memo.
pub const MEMO_MAX: usize = 500;
/// A reference to a document or decision, an idempotency key.
pub const REF_MAX: usize = 200;
/// A comment, reason or note (many lines).
pub const NOTE_MAX: usize = 2000;

/// Characters that change how text is displayed without being seen.
fn hidden(c: char) -> bool {
    matches!(c,
        '\u{200E}' | '\u{200F}' // left-to-right / right-to-left marks
        | '\u{202A}'..='\u{202E}' // embeddings and overrides
        | '\u{2066}'..='\u{2069}' // isolates
        | '\u{2028}' | '\u{2029}' // line and paragraph separators
        | '\u{FEFF}') // zero-width no-break space (BOM)
}

/// Checks a one-line text of at most `max` characters.
pub fn one_line(s: &str, max: usize) -> Result<(), String> {
    check(s, max, false)
}

/// Checks a many-line text of at most `max` characters.
pub fn many_lines(s: &str, max: usize) -> Result<(), String> {
    check(s, max, true)
}

fn check(s: &str, max: usize, lines: bool) -> Result<(), String> {
    let n = s.chars().count();
    if n > max {
        return Err(format!("at most {max} characters, got {n}"));
    }
    if s.trim().is_empty() {
        return Err("must not be empty".into());
    }
    for (i, c) in s.chars().enumerate() {
        let allowed_break = lines && matches!(c, '\n' | '\r' | '\t');
        if (c.is_control() && !allowed_break) || hidden(c) {
            return Err(format!(
                "character {} (U+{:04X}) is not allowed{}",
                i + 1,
                c as u32,
                if lines {
                    ""
                } else {
                    " in a one-line field: no line breaks, tabs or control characters"
                }
            ));
        }
    }
    if !lines && (s.starts_with(char::is_whitespace) || s.ends_with(char::is_whitespace)) {
        return Err("must not start or end with a space".into());
    }
    Ok(())
}

/// An identifier a client chooses (an idempotency key): 1 to [`REF_MAX`] characters of ASCII
/// letters, digits and `-_.:/#@+`.
pub fn key(s: &str) -> Result<(), String> {
    if s.is_empty() || s.len() > REF_MAX {
        return Err(format!("1 to {REF_MAX} characters"));
    }
    match s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "-_.:/#@+".contains(*c)))
    {
        Some(c) => Err(format!(
            "{c:?} is not allowed: use ASCII letters, digits and -_.:/#@+"
        )),
        None => Ok(()),
    }
}

/// Writes a stored text so that it stays on one line whatever it holds: a character the
/// policy refuses (only text stored before the policy can hold one) is shown as `\u{XXXX}`.
/// Text that passes [`one_line`] comes out unchanged.
pub fn escape_controls(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() || hidden(c)) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() || hidden(c) {
            out.push_str(&format!("\\u{{{:04X}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_text_has_no_breaks_controls_or_hidden_marks() {
        for ok in ["购房款 第1期", "a;b \"q\" \\ *", "x"] {
            assert_eq!(one_line(ok, 20), Ok(()), "{ok:?}");
        }
        for bad in [
            "a\nb",
            "a\rb",
            "a\tb",
            "a\u{202E}b",
            "a\u{2028}b",
            " a",
            "a ",
            "",
            "  ",
        ] {
            assert!(one_line(bad, 20).is_err(), "{bad:?}");
        }
        assert!(one_line(&"字".repeat(21), 20).is_err());
        assert_eq!(one_line(&"字".repeat(20), 20), Ok(()));
    }

    #[test]
    fn many_line_text_keeps_its_breaks_but_no_other_control() {
        assert_eq!(many_lines("第一行\r\n第二行\t完", 100), Ok(()));
        assert!(many_lines("a\u{0}b", 100).is_err());
        assert!(many_lines("a\u{1b}[31m", 100).is_err());
        assert!(many_lines("\n", 100).is_err());
    }

    #[test]
    fn keys_are_plain_ascii_identifiers() {
        assert_eq!(key("bond-1"), Ok(()));
        assert_eq!(key("reverse-3"), Ok(()));
        assert!(key("a)b").is_err());
        assert!(key("a b").is_err());
        assert!(key("键").is_err());
        assert!(key("").is_err());
    }

    #[test]
    fn escaping_leaves_policy_text_alone_and_puts_anything_else_on_one_line() {
        assert_eq!(escape_controls("a;b\\\"*"), "a;b\\\"*");
        assert_eq!(escape_controls("a\nb"), "a\\u{000A}b");
    }
}
