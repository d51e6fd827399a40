//! The dedupe decision's arithmetic (streams/core/dedupe/tokens.py and similarity.py are the
//! reference): blocking tokens of a fingerprint, and the text scores of a query against its
//! candidates, each float computed in the reference's order of operations.

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::fingerprint::{crc, mix64, ENTITY, PERMUTATIONS};

const BAND_ROWS: usize = 4;
const BAND_WEIGHT: f64 = 1.0;
const LEAD_WEIGHT: f64 = 3.0;
const MAX_ANCHOR_TOKENS: usize = 16;
const CLASS_BITS: u32 = 3;
const PLACE: u32 = 2;
const CLASS_WEIGHT: [f64; 4] = [0.1, 0.3, 0.5, 1.0];
const WORD_PERMUTATIONS: usize = 64;
const MIN_CONTAINMENT_SHINGLES: f64 = 8.0;
const CHANCE: f64 = 1.0 / 65536.0;
const WORD_CHANCE: f64 = 1.0 / 256.0;

fn role(n: u64) -> u64 {
    n << 56
}

fn token(value: u64) -> u32 {
    (mix64(value) >> 32) as u32
}

/// `blocking_tokens`: the tokens (uint32) and weights (float64) as little-endian bytes.
#[pyfunction]
pub fn blocking_tokens<'py>(
    py: Python<'py>,
    minhash: &[u8],
    headline_hash: u32,
    sentences: Vec<u32>,
    anchors: Vec<u32>,
) -> (Bound<'py, PyBytes>, Bound<'py, PyBytes>) {
    let mut tokens: Vec<u32> = Vec::with_capacity(48);
    let mut weights: Vec<f64> = Vec::with_capacity(48);
    for (band, rows) in minhash.chunks_exact(2 * BAND_ROWS).enumerate() {
        let mut value = 0u64;
        for (row, pair) in rows.chunks_exact(2).enumerate() {
            value |= u64::from(u16::from_le_bytes([pair[0], pair[1]])) << (16 * row);
        }
        tokens.push(token(value ^ ((band as u64) << 48 | role(1))));
        weights.push(BAND_WEIGHT);
    }
    if headline_hash != 0 {
        tokens.push(token(u64::from(headline_hash) | role(2)));
        weights.push(LEAD_WEIGHT);
    }
    for h in sentences {
        tokens.push(token(u64::from(h) | role(3)));
        weights.push(LEAD_WEIGHT);
    }
    let mut strong: Vec<u32> = anchors
        .into_iter()
        .filter(|a| a & CLASS_BITS >= PLACE)
        .collect();
    strong.sort_by_key(|a| a & ENTITY == 0); // stable: linked entities first
    for a in strong.into_iter().take(MAX_ANCHOR_TOKENS) {
        tokens.push(token(u64::from(a >> 3) | role(4)));
        weights.push(CLASS_WEIGHT[(a & CLASS_BITS) as usize]);
    }
    let token_bytes: Vec<u8> = tokens.iter().flat_map(|t| t.to_le_bytes()).collect();
    let weight_bytes: Vec<u8> = weights.iter().flat_map(|w| w.to_le_bytes()).collect();
    (
        PyBytes::new(py, &token_bytes),
        PyBytes::new(py, &weight_bytes),
    )
}

/// `id_token`: the token of a producer's id key.
#[pyfunction]
pub fn id_token(id_key: &str) -> u32 {
    token(u64::from(crc(id_key)) | role(5))
}

fn agreement(a: &[u8], b: &[u8], width: usize) -> usize {
    a.chunks_exact(width)
        .zip(b.chunks_exact(width))
        .filter(|(x, y)| x == y)
        .count()
}

fn estimate(agree: usize, of: usize, chance: f64) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let share = agree as f64 / of as f64;
    ((share - chance) / (1.0 - chance)).clamp(0.0, 1.0)
}

type Columns = (
    Vec<f64>,
    Vec<f64>,
    Vec<f64>,
    Vec<Option<f64>>,
    Vec<Option<f64>>,
);

/// The text scores of `query` against each of `others` (Fingerprint objects): estimated
/// Jaccard, containment, shared shingles, and word Jaccard and containment (None where a side
/// has no word MinHash), as five columns.
#[pyfunction]
pub fn text_scores(
    py: Python<'_>,
    query: &Bound<'_, PyAny>,
    others: Vec<Bound<'_, PyAny>>,
) -> PyResult<Columns> {
    let (minhash_name, shingles_name) = (intern!(py, "minhash"), intern!(py, "shingles"));
    let (words_name, count_name) = (intern!(py, "words"), intern!(py, "word_count"));
    let q_minhash = query.getattr(minhash_name)?;
    let q_minhash: &[u8] = q_minhash.extract()?;
    #[allow(clippy::cast_precision_loss)]
    let q_shingles = query.getattr(shingles_name)?.extract::<u64>()? as f64;
    let q_words = query.getattr(words_name)?;
    let q_words: &[u8] = q_words.extract()?;
    #[allow(clippy::cast_precision_loss)]
    let q_count = query.getattr(count_name)?.extract::<u64>()? as f64;
    let n = others.len();
    let mut out: Columns = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for other in &others {
        let minhash = other.getattr(minhash_name)?;
        let minhash: &[u8] = minhash.extract()?;
        #[allow(clippy::cast_precision_loss)]
        let shingles = other.getattr(shingles_name)?.extract::<u64>()? as f64;
        let jaccard = estimate(agreement(minhash, q_minhash, 2), PERMUTATIONS, CHANCE);
        let shared = jaccard * (q_shingles + shingles) / (1.0 + jaccard);
        let small = shingles.min(q_shingles);
        let containment = if small >= MIN_CONTAINMENT_SHINGLES {
            (shared / small.max(1.0)).min(1.0)
        } else {
            jaccard
        };
        let (mut word_j, mut word_c) = (None, None);
        if !q_words.is_empty() {
            let words = other.getattr(words_name)?;
            let words: &[u8] = words.extract()?;
            if !words.is_empty() {
                #[allow(clippy::cast_precision_loss)]
                let count = other.getattr(count_name)?.extract::<u64>()? as f64;
                let j = estimate(agreement(words, q_words, 1), WORD_PERMUTATIONS, WORD_CHANCE);
                let common = j * (q_count + count) / (1.0 + j);
                word_j = Some(j);
                word_c = Some((common / 1.0f64.max(count.min(q_count))).min(1.0));
            }
        }
        out.0.push(jaccard);
        out.1.push(containment);
        out.2.push(shared);
        out.3.push(word_j);
        out.4.push(word_c);
    }
    Ok(out)
}
