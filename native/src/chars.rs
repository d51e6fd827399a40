//! What Python says about a character, from the tables native/gen_tables.py took from it.

use std::sync::OnceLock;

use crate::tables;

struct Bits(Vec<u64>);

impl Bits {
    fn from_ranges(ranges: &[(u32, u32)]) -> Self {
        let mut words = vec![0u64; 0x110000 / 64];
        for &(first, last) in ranges {
            for cp in first..=last {
                words[(cp >> 6) as usize] |= 1 << (cp & 63);
            }
        }
        Bits(words)
    }

    #[inline]
    fn has(&self, c: char) -> bool {
        let cp = c as u32;
        (self.0[(cp >> 6) as usize] >> (cp & 63)) & 1 == 1
    }
}

fn word_bits() -> &'static Bits {
    static BITS: OnceLock<Bits> = OnceLock::new();
    BITS.get_or_init(|| Bits::from_ranges(&tables::WORD))
}

fn digit_bits() -> &'static Bits {
    static BITS: OnceLock<Bits> = OnceLock::new();
    BITS.get_or_init(|| Bits::from_ranges(&tables::DIGIT))
}

fn upper_bits() -> &'static Bits {
    static BITS: OnceLock<Bits> = OnceLock::new();
    BITS.get_or_init(|| Bits::from_ranges(&tables::UPPER))
}

/// Python re's `\w`.
#[inline]
pub fn is_word(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || c == '_'
    } else {
        word_bits().has(c)
    }
}

/// Python re's `\d`.
#[inline]
pub fn is_digit(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_digit()
    } else {
        digit_bits().has(c)
    }
}

/// `str.isupper()` of one character.
#[inline]
pub fn is_upper(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_uppercase()
    } else {
        upper_bits().has(c)
    }
}

const LETTERS: &str = "abcdefghijklmnopqrstuvwxyz";

/// `strip_accents(c.casefold())` when it holds fold_latin's letters only, else None.
#[inline]
pub fn latin_fold(c: char) -> Option<&'static str> {
    match c {
        'a'..='z' => {
            let i = c as usize - 'a' as usize;
            Some(&LETTERS[i..i + 1])
        }
        'A'..='Z' => {
            let i = c as usize - 'A' as usize;
            Some(&LETTERS[i..i + 1])
        }
        '\'' => Some("'"),
        '-' => Some("-"),
        _ if c.is_ascii() => None,
        _ => tables::LATIN_FOLD
            .binary_search_by_key(&(c as u32), |&(cp, _)| cp)
            .ok()
            .map(|i| tables::LATIN_FOLD[i].1),
    }
}

/// `streams.core.text.fold_latin`: the word casefolded without accents if it is written in
/// Latin letters (`[a-z][a-z'’-]*` once folded), else None.
pub fn fold_latin(word: &[char]) -> Option<String> {
    let mut out = String::with_capacity(word.len());
    for &c in word {
        out.push_str(latin_fold(c)?);
    }
    if out.as_bytes().first().is_some_and(u8::is_ascii_lowercase) {
        Some(out)
    } else {
        None
    }
}

/// `streams.core.text.NO_SPACE_RANGES`: scripts written without spaces.
#[inline]
pub fn written_without_spaces(c: char) -> bool {
    let o = c as u32;
    matches!(
        o,
        0x0E00..=0x0EFF
            | 0x1000..=0x109F
            | 0x1780..=0x17FF
            | 0x3040..=0x30FF
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xF900..=0xFAFF
            | 0x20000..=0x3FFFF
    )
}

const SENTENCE_ENDS: &str = ".!?:;\n\r؟。！？";
const OPENERS: &str = " \t\"'“”‘’«»„([{-—–";

/// `streams.core.text.sentence_initial`.
pub fn sentence_initial(text: &[char], start: usize) -> bool {
    let mut i = start;
    while i > 0 && OPENERS.contains(text[i - 1]) {
        i -= 1;
    }
    i == 0 || SENTENCE_ENDS.contains(text[i - 1])
}
