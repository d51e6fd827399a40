//! Native fast paths of the wirestream core. Each function gives exactly what its Python
//! reference gives (tests/unit/test_native_*.py); streams/core/native.py chooses.

mod chars;
mod dedupe;
mod fingerprint;
mod index;
mod sanitize;
mod scripts;
mod viterbi;
#[rustfmt::skip]
mod tables;

use pyo3::buffer::PyBuffer;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};

use fingerprint::{
    crc, minima, sentence_hashes, shingle_hashes, text_anchors, tokenize, word_hashes, Found,
    PERMUTATIONS,
};

/// What `fingerprint()` computes from the text, given the casefolded texts (Python's
/// `str.casefold` is the reference's), the anchors the entities gave, and the MinHash seeds.
#[pyclass(frozen)]
struct Fingerprinter {
    seeds: Vec<u64>,
    word_seeds: Vec<u64>,
}

#[pymethods]
impl Fingerprinter {
    #[new]
    fn new(seeds: Vec<u64>, word_seeds: Vec<u64>) -> PyResult<Self> {
        if seeds.len() != PERMUTATIONS || word_seeds.is_empty() {
            return Err(pyo3::exceptions::PyValueError::new_err(
                "wrong number of seeds",
            ));
        }
        Ok(Fingerprinter { seeds, word_seeds })
    }

    /// (shingles, headline hash, sentences, minhash bytes, anchors, word minhash bytes, words)
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (body, folded_body, headline, folded_headline, entity_anchors))]
    fn parts<'py>(
        &self,
        py: Python<'py>,
        body: &str,
        folded_body: &str,
        headline: &str,
        folded_headline: &str,
        entity_anchors: Vec<(String, u8, usize)>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let tokens = tokenize(folded_body);
        let shingles = shingle_hashes(&tokens);
        let minhash: Vec<u8> = minima(&shingles, &self.seeds)
            .iter()
            .flat_map(|&m| ((m & 0xFFFF) as u16).to_le_bytes())
            .collect();
        let head_tokens = tokenize(folded_headline);
        let headline_hash = if headline.is_empty() {
            0
        } else {
            crc(&head_tokens.join(" "))
        };
        let mut all_tokens = head_tokens;
        all_tokens.extend_from_slice(&tokens);
        let words = word_hashes(&all_tokens);
        let word_minhash: Vec<u8> = if words.is_empty() {
            Vec::new()
        } else {
            minima(&words, &self.word_seeds)
                .iter()
                .map(|&m| (m & 0xFF) as u8)
                .collect()
        };
        let mut found = Found::new();
        for (key, class, position) in entity_anchors {
            found.add(key, class, position);
        }
        let text: Vec<char> = if headline.is_empty() {
            body.chars().collect()
        } else {
            headline
                .chars()
                .chain(std::iter::once('\n'))
                .chain(body.chars())
                .collect()
        };
        text_anchors(&text, &mut found);
        let items: Vec<Bound<'py, PyAny>> = vec![
            shingles.len().into_pyobject(py)?.into_any(),
            headline_hash.into_pyobject(py)?.into_any(),
            PyTuple::new(py, sentence_hashes(folded_body))?.into_any(),
            PyBytes::new(py, &minhash).into_any(),
            PyTuple::new(py, found.ranked())?.into_any(),
            PyBytes::new(py, &word_minhash).into_any(),
            words.len().into_pyobject(py)?.into_any(),
        ];
        PyTuple::new(py, items)
    }
}

/// `sanitize`'s noise regex: every match blanked to one space (`acronyms`: the variant for text
/// that has lower case).
#[pyfunction]
fn blank_noise(text: &str, acronyms: bool) -> String {
    sanitize::blank_noise(text, acronyms)
}

/// `viterbi_batch`: the best label path of each sentence, from `emissions` (batch x max_len x
/// labels, float32, C order), the sentences' `lengths` and `transitions` (labels x labels).
#[pyfunction]
fn viterbi_batch(
    py: Python<'_>,
    emissions: PyBuffer<f32>,
    lengths: Vec<usize>,
    transitions: PyBuffer<f32>,
) -> PyResult<Vec<Vec<usize>>> {
    let shape = emissions.shape().to_vec();
    if shape.len() != 3 || !emissions.is_c_contiguous() || !transitions.is_c_contiguous() {
        return Err(PyValueError::new_err(
            "emissions must be a C-ordered 3-d float32 array",
        ));
    }
    let (batch, max_len, labels) = (shape[0], shape[1], shape[2]);
    if lengths.len() != batch || lengths.iter().any(|&n| n > max_len) {
        return Err(PyValueError::new_err("lengths do not fit the emissions"));
    }
    if transitions.item_count() != labels * labels {
        return Err(PyValueError::new_err("transitions must be labels x labels"));
    }
    let em = emissions.to_vec(py)?;
    let trans = transitions.to_vec(py)?;
    let row = max_len * labels;
    Ok(lengths
        .iter()
        .enumerate()
        .map(|(b, &n)| viterbi::viterbi(&em[b * row..b * row + n * labels], n, labels, &trans))
        .collect())
}

#[pymodule]
fn wirestream_native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("UNIDATA_VERSION", tables::UNIDATA_VERSION)?;
    m.add_class::<Fingerprinter>()?;
    m.add_function(wrap_pyfunction!(blank_noise, m)?)?;
    m.add_function(wrap_pyfunction!(viterbi_batch, m)?)?;
    m.add_class::<index::CandidateIndex>()?;
    m.add_class::<scripts::ScriptCounter>()?;
    m.add_function(wrap_pyfunction!(dedupe::blocking_tokens, m)?)?;
    m.add_function(wrap_pyfunction!(dedupe::id_token, m)?)?;
    m.add_function(wrap_pyfunction!(dedupe::text_scores, m)?)?;
    Ok(())
}
