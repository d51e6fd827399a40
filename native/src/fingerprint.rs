//! The dedupe fingerprint's text work (streams/core/dedupe/fingerprint.py is the reference):
//! tokens, shingle hashes and their MinHash, the word set and its MinHash, sentence hashes, the
//! headline hash and the Latin-word and number anchors, in one call.

use std::collections::{HashMap, HashSet};

use crate::chars::{
    fold_latin, is_digit, is_upper, is_word, sentence_initial, written_without_spaces,
};

pub const PERMUTATIONS: usize = 64;
const SHINGLE: usize = 3;
const MAX_SENTENCES: usize = 6;
const MIN_SENTENCE_TOKENS: usize = 4;
const WORD_MIN_LETTERS: usize = 4;
const MAX_ANCHORS: usize = 32;
const WEAK: u8 = 1;
const NAME: u8 = 3;
/// The class bit of an anchor that names a linked entity (`e:` keys); the dedupe scores read it.
pub const ENTITY: u32 = 4;
const ANCHOR_BITS: u32 = 7;
const STEM: usize = 6;
const TITLE_CASE_SHARE: f64 = 0.6;

#[inline]
pub fn mix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

#[inline]
pub fn crc(text: &str) -> u32 {
    crc32fast::hash(text.as_bytes())
}

/// `tokenize` on text that is casefolded already: `\w+` runs, each character of a script
/// written without spaces a token of its own.
pub fn tokenize(folded: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut run: Option<usize> = None; // byte start of the current token
    for (at, c) in folded.char_indices() {
        if !is_word(c) {
            if let Some(start) = run.take() {
                out.push(&folded[start..at]);
            }
        } else if written_without_spaces(c) {
            if let Some(start) = run.take() {
                out.push(&folded[start..at]);
            }
            out.push(&folded[at..at + c.len_utf8()]);
        } else if run.is_none() {
            run = Some(at);
        }
    }
    if let Some(start) = run {
        out.push(&folded[start..]);
    }
    out
}

fn is_sentence_delimiter(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '。' | '！' | '？' | '؟' | '\n')
}

/// `sentence_hashes` of the casefolded body (casefolding moves no sentence boundary: checked
/// by native/gen_tables.py for every character).
pub fn sentence_hashes(folded: &str) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::new();
    for sentence in folded.split(is_sentence_delimiter) {
        let tokens = tokenize(sentence);
        if tokens.len() >= MIN_SENTENCE_TOKENS {
            out.push(crc(&tokens.join(" ")));
            if out.len() == MAX_SENTENCES {
                break;
            }
        }
    }
    let mut seen = HashSet::new();
    out.retain(|h| seen.insert(*h));
    out
}

/// The distinct shingle hashes, sorted (a text without tokens: one fixed shingle).
pub fn shingle_hashes(tokens: &[&str]) -> Vec<u64> {
    if tokens.is_empty() {
        return vec![0];
    }
    let hashed: Vec<u64> = tokens.iter().map(|t| mix64(u64::from(crc(t)))).collect();
    let mut out: Vec<u64> = if hashed.len() >= SHINGLE {
        hashed
            .windows(SHINGLE)
            .map(|w| mix64(w[0] ^ mix64(w[1] ^ mix64(w[2]))))
            .collect()
    } else {
        hashed
    };
    out.sort_unstable();
    out.dedup();
    out
}

/// One salted hash per seed, the minimum over the values (callers keep its low bits).
pub fn minima(values: &[u64], seeds: &[u64]) -> Vec<u64> {
    let mut mins = vec![u64::MAX; seeds.len()];
    for &value in values {
        for (min, &seed) in mins.iter_mut().zip(seeds) {
            *min = (*min).min(mix64(value ^ seed));
        }
    }
    mins
}

/// The distinct words of at least `WORD_MIN_LETTERS` characters, hashed.
pub fn word_hashes(tokens: &[&str]) -> Vec<u64> {
    let mut words: HashSet<&str> = HashSet::new();
    for t in tokens {
        if t.chars().count() >= WORD_MIN_LETTERS {
            words.insert(t);
        }
    }
    words
        .into_iter()
        .map(|w| mix64(u64::from(crc(w))))
        .collect()
}

/// Anchors found so far, in first-found order: key -> (class, first position).
pub struct Found {
    order: Vec<(String, u8, usize)>,
    index: HashMap<String, usize>,
}

impl Found {
    pub fn new() -> Self {
        Found {
            order: Vec::new(),
            index: HashMap::new(),
        }
    }

    pub fn add(&mut self, key: String, class: u8, position: usize) {
        if let Some(&i) = self.index.get(&key) {
            if class > self.order[i].1 {
                self.order[i].1 = class; // the first position stays
            }
        } else {
            self.index.insert(key.clone(), self.order.len());
            self.order.push((key, class, position));
        }
    }

    /// Strongest first, then earliest; at most `MAX_ANCHORS`, hashed with their class bits.
    pub fn ranked(mut self) -> Vec<u32> {
        self.order
            .sort_by_key(|(_k, class, position)| (std::cmp::Reverse(*class), *position));
        self.order
            .iter()
            .take(MAX_ANCHORS)
            .map(|(key, class, _p)| {
                let entity = if key.starts_with("e:") { ENTITY } else { 0 };
                (crc(key) & !ANCHOR_BITS) | entity | u32::from(*class)
            })
            .collect()
    }
}

/// The capitalised Latin words and the numbers of `anchors`, added to `found`.
pub fn text_anchors(text: &[char], found: &mut Found) {
    let mut offset = 0;
    for line in text.split(|&c| c == '\n') {
        latin_words(text, line, offset, found);
        offset += line.len() + 1;
    }
    numbers(text, found);
}

fn latin_words(text: &[char], line: &[char], offset: usize, found: &mut Found) {
    // _LATIN_WORD = [^\W\d_][\w'’-]*, kept with three letters or more when it folds as Latin.
    let mut words: Vec<(usize, bool, String)> = Vec::new(); // (position, capital, folded)
    let mut i = 0;
    while i < line.len() {
        let c = line[i];
        if !(is_word(c) && !is_digit(c) && c != '_') {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < line.len() && (is_word(line[j]) || matches!(line[j], '\'' | '’' | '-')) {
            j += 1;
        }
        let word = &line[i..j];
        if word.len() >= 3 {
            if let Some(folded) = fold_latin(word) {
                words.push((offset + i, is_upper(word[0]), folded));
            }
        }
        i = j;
    }
    let capitals = words.iter().filter(|w| w.1).count();
    #[allow(clippy::cast_precision_loss)]
    let title_case = words.len() >= 3 && capitals as f64 >= TITLE_CASE_SHARE * words.len() as f64;
    for (at, capital, folded) in words {
        if !capital {
            continue;
        }
        let weak = title_case || sentence_initial(text, at);
        let key: String = "w:".chars().chain(folded.chars()).take(2 + STEM).collect();
        found.add(key, if weak { WEAK } else { NAME }, at);
    }
}

fn numbers(text: &[char], found: &mut Found) {
    // _NUMBER = \d+(?:[.,]\d+)*, kept with two digits or more unless it is a year.
    let n = text.len();
    let mut i = 0;
    while i < n {
        if !is_digit(text[i]) {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < n && is_digit(text[j]) {
            j += 1;
        }
        while j + 1 < n && matches!(text[j], '.' | ',') && is_digit(text[j + 1]) {
            j += 2;
            while j < n && is_digit(text[j]) {
                j += 1;
            }
        }
        let number = &text[i..j];
        let digits = number.iter().filter(|&&c| is_digit(c)).count();
        let year = number.len() == 4
            && matches!((number[0], number[1]), ('1', '9') | ('2', '0'))
            && is_digit(number[2])
            && is_digit(number[3]);
        if digits >= 2 && !year {
            let key: String = "n:"
                .chars()
                .chain(number.iter().map(|&c| if c == ',' { '.' } else { c }))
                .collect();
            found.add(key, WEAK, i);
        }
        i = j;
    }
}
