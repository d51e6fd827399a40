//! The dedupe stage's blocking index (streams/core/dedupe/index.py is the reference): the same
//! postings, merged at the same moments, so that every lookup counts and scores exactly as the
//! reference does, at a fraction of its cost.

use std::collections::{HashMap, HashSet, VecDeque};

use pyo3::buffer::PyBuffer;
use pyo3::exceptions::{PyOverflowError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyString;

const MAX_SEQ: u64 = u32::MAX as u64;

#[pyclass(module = "wirestream_native", subclass)]
pub struct CandidateIndex {
    items: VecDeque<(Py<PyString>, f64)>, // live items, oldest first: (store key, seen at)
    base: u64,                            // sequence number of items[0]
    tokens: Vec<u32>,                     // sorted postings: token ...
    seqs: Vec<u32>,                       // ... and sequence number
    recent: HashMap<u32, Vec<u32>>,
    recent_count: usize,
    merge_at: usize,
}

impl CandidateIndex {
    fn empty(merge_at: usize) -> Self {
        CandidateIndex {
            items: VecDeque::new(),
            base: 0,
            tokens: Vec::new(),
            seqs: Vec::new(),
            recent: HashMap::new(),
            recent_count: 0,
            merge_at,
        }
    }

    fn first_live(&self) -> u64 {
        self.base
    }

    fn range(&self, token: u32) -> (usize, usize) {
        let lo = self.tokens.partition_point(|&t| t < token);
        let hi = lo + self.tokens[lo..].partition_point(|&t| t <= token);
        (lo, hi)
    }

    fn merge(&mut self) {
        let first = self.first_live();
        let mut recent: Vec<(u32, u32)> = Vec::with_capacity(self.recent_count);
        for (&token, seqs) in &self.recent {
            recent.extend(seqs.iter().map(|&s| (token, s)));
        }
        recent.sort_by_key(|&(t, _)| t); // stable: a token's postings keep their order
        let old_tokens = std::mem::take(&mut self.tokens);
        let old_seqs = std::mem::take(&mut self.seqs);
        let mut tokens = Vec::with_capacity(old_tokens.len() + recent.len());
        let mut seqs = Vec::with_capacity(tokens.capacity());
        let mut new = recent.into_iter().peekable();
        for (t, s) in old_tokens.into_iter().zip(old_seqs) {
            if u64::from(s) < first {
                continue;
            }
            while let Some(&(nt, ns)) = new.peek() {
                if nt >= t {
                    break;
                }
                tokens.push(nt);
                seqs.push(ns);
                new.next();
            }
            tokens.push(t);
            seqs.push(s);
        }
        for (nt, ns) in new {
            tokens.push(nt);
            seqs.push(ns);
        }
        self.tokens = tokens;
        self.seqs = seqs;
        self.recent.clear();
        self.recent_count = 0;
    }
}

#[pymethods]
impl CandidateIndex {
    #[new]
    #[pyo3(signature = (merge_at = 16_384))]
    fn new(merge_at: usize) -> Self {
        CandidateIndex::empty(merge_at.max(1))
    }

    /// Become the index of `keys` (oldest first) whose `tokens[i]` belongs to
    /// `keys[owners[i]]`, sorted once rather than merged item by item.
    fn load(
        &mut self,
        keys: Vec<Py<PyString>>,
        seen: Vec<f64>,
        tokens: Vec<u32>,
        owners: Vec<u64>,
    ) -> PyResult<()> {
        if keys.len() != seen.len() || tokens.len() != owners.len() {
            return Err(PyValueError::new_err(
                "keys/seen or tokens/owners differ in length",
            ));
        }
        *self = CandidateIndex::empty(self.merge_at);
        self.items = keys.into_iter().zip(seen).collect();
        let mut pairs: Vec<u64> = tokens
            .iter()
            .zip(&owners)
            .map(|(&t, &o)| (u64::from(t) << 32) | (o & 0xFFFF_FFFF))
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        self.tokens = pairs.iter().map(|&p| (p >> 32) as u32).collect();
        self.seqs = pairs.iter().map(|&p| (p & 0xFFFF_FFFF) as u32).collect();
        Ok(())
    }

    fn __len__(&self) -> usize {
        self.items.len()
    }

    #[getter(first_live)]
    fn py_first_live(&self) -> u64 {
        self.first_live()
    }

    #[getter]
    fn next_seq(&self) -> u64 {
        self.base + self.items.len() as u64
    }

    fn add(&mut self, key: Py<PyString>, seen_at: f64, tokens: Vec<u32>) -> PyResult<u64> {
        let seq = self.next_seq();
        if seq > MAX_SEQ {
            return Err(PyOverflowError::new_err(
                "sequence numbers exhausted: rebuild the index",
            ));
        }
        self.items.push_back((key, seen_at));
        let unique: HashSet<u32> = tokens.into_iter().collect();
        for token in unique {
            self.recent.entry(token).or_default().push(seq as u32);
            self.recent_count += 1;
        }
        if self.recent_count >= self.merge_at {
            self.merge();
        }
        Ok(seq)
    }

    fn oldest(&self, py: Python<'_>) -> Option<(u64, Py<PyString>, f64)> {
        self.items
            .front()
            .map(|(key, seen)| (self.base, key.clone_ref(py), *seen))
    }

    fn pop_oldest(&mut self) {
        if self.items.pop_front().is_some() {
            self.base += 1;
        }
    }

    fn key_of(&self, py: Python<'_>, seq: i64) -> Option<Py<PyString>> {
        let seq = u64::try_from(seq).ok()?;
        if seq < self.base {
            return None;
        }
        let at = usize::try_from(seq - self.base).ok()?;
        self.items.get(at).map(|(key, _)| key.clone_ref(py))
    }

    /// The `limit` live items sharing the most weight of `tokens`: (seq, key, score) rows.
    #[pyo3(signature = (tokens, weights, *, max_postings, limit))]
    fn lookup_rows(
        &self,
        py: Python<'_>,
        tokens: PyBuffer<u32>,
        weights: PyBuffer<f64>,
        max_postings: usize,
        limit: usize,
    ) -> PyResult<Vec<(u64, Py<PyString>, f64)>> {
        let tokens = tokens.to_vec(py)?;
        let weights = weights.to_vec(py)?;
        let first = self.first_live();
        let mut scores: HashMap<u32, f64> = HashMap::new();
        for (&token, &weight) in tokens.iter().zip(&weights) {
            let (lo, hi) = self.range(token);
            let recent = self.recent.get(&token).map_or(&[][..], Vec::as_slice);
            let count = hi - lo + recent.len();
            if count == 0 || count > max_postings {
                continue;
            }
            #[allow(clippy::cast_precision_loss)]
            let per = weight / (2.0 + count as f64).log2();
            for &seq in self.seqs[lo..hi].iter().chain(recent) {
                if u64::from(seq) >= first {
                    *scores.entry(seq).or_insert(0.0) += per;
                }
            }
        }
        let mut ranked: Vec<(u32, f64)> = scores.into_iter().collect();
        // Best first; ties by sequence number (the reference's stable sort of sorted seqs).
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(limit);
        Ok(ranked
            .into_iter()
            .map(|(seq, score)| {
                let key = self.items[(u64::from(seq) - self.base) as usize]
                    .0
                    .clone_ref(py);
                (u64::from(seq), key, score)
            })
            .collect())
    }

    /// Live sequence numbers under `token`.
    fn postings(&self, token: u32) -> Vec<u64> {
        let (lo, hi) = self.range(token);
        let recent = self.recent.get(&token).map_or(&[][..], Vec::as_slice);
        self.seqs[lo..hi]
            .iter()
            .chain(recent)
            .map(|&s| u64::from(s))
            .filter(|&s| s >= self.base)
            .collect()
    }

    fn posting_bytes(&self) -> usize {
        4 * (self.tokens.len() + self.seqs.len())
    }
}
