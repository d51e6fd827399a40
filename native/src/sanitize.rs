//! What the language models are not shown (streams/core/langid/text.py is the reference): the
//! noise regex of `sanitize` (`_NOISE_AND_ACRONYMS`, or `_NOISE` on lower-cased text), as one
//! scan that takes the same matches as Python's regex engine and blanks each to a space.
//!
//! At each position the regex's branches come down to:
//! 1. the first character of an ASCII token (a run of `[!-~]`), when the token holds a code
//!    mark, is a host name (`x.y.com`), or is in camelCase: the whole token;
//! 2. a digit of any script: it and the digits after it;
//! 3. a control character or a lone surrogate: itself;
//! 4. with acronyms, a capital not after a Latin letter, with one or more capitals after it:
//!    the capitals, less the last when a lower-case letter follows them.

use crate::chars::{is_digit, is_word};

fn printable(c: char) -> bool {
    ('!'..='~').contains(&c)
}

fn code_mark(c: char) -> bool {
    c.is_ascii_digit() || "@_=<>{}\\|`$^~/".contains(c)
}

fn host_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-'
}

fn rejected(c: char) -> bool {
    let o = c as u32;
    o <= 0x08 || o == 0x0B || o == 0x0C || (0x0E..=0x1F).contains(&o) || (0x7F..=0x9F).contains(&o)
}

/// `[A-Za-z0-9-]*\.(?:[A-Za-z0-9-]+\.)*[a-z]{2,}\b` from `at`.
fn host_from(t: &[char], at: usize) -> bool {
    let n = t.len();
    let mut d = at;
    while d < n && host_char(t[d]) {
        d += 1;
    }
    loop {
        if d >= n || t[d] != '.' {
            return false;
        }
        let mut k = d + 1;
        while k < n && t[k].is_ascii_lowercase() {
            k += 1;
        }
        if k - (d + 1) >= 2 && (k == n || !is_word(t[k])) {
            return true;
        }
        let mut m = d + 1;
        while m < n && host_char(t[m]) {
            m += 1;
        }
        if m == d + 1 {
            return false;
        }
        d = m;
    }
}

/// The end of the match at `p`, or None when the regex matches nothing there.
fn match_at(t: &[char], p: usize, acronyms: bool) -> Option<usize> {
    let c0 = t[p];
    let n = t.len();
    if printable(c0) && (p == 0 || !printable(t[p - 1])) {
        let mut e = p + 1;
        while e < n && printable(t[e]) {
            e += 1;
        }
        let token = &t[p..e];
        if token.iter().any(|&c| code_mark(c))
            || (host_char(c0) && host_from(t, p + 1))
            || token
                .windows(2)
                .any(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase())
        {
            return Some(e);
        }
    }
    if is_digit(c0) {
        let mut q = p + 1;
        while q < n && is_digit(t[q]) {
            q += 1;
        }
        return Some(q);
    }
    if rejected(c0) {
        return Some(p + 1);
    }
    if acronyms && c0.is_ascii_uppercase() && (p == 0 || !t[p - 1].is_ascii_alphabetic()) {
        let mut q = p + 1;
        while q < n && t[q].is_ascii_uppercase() {
            q += 1;
        }
        let capitals = q - (p + 1);
        if capitals >= 1 && (q == n || !t[q].is_ascii_lowercase()) {
            return Some(q);
        }
        if capitals >= 2 {
            return Some(q - 1);
        }
    }
    None
}

/// The text with every match of the noise regex replaced by one space.
pub fn blank_noise(text: &str, acronyms: bool) -> String {
    let t: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut p = 0;
    while p < t.len() {
        match match_at(&t, p, acronyms) {
            Some(end) => {
                out.push(' ');
                p = end;
            }
            None => {
                out.push(t[p]);
                p += 1;
            }
        }
    }
    out
}
