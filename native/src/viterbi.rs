//! Viterbi decoding of a linear-chain CRF (streams/ner/decode.py `viterbi_batch` is the
//! reference): each sentence on its own, with the reference's float32 sums and its choice of the
//! first label among equal scores, so that the paths are the same.

/// Best label path of one sentence: `em` is `len x labels`, `trans` is `labels x labels`.
pub fn viterbi(em: &[f32], len: usize, labels: usize, trans: &[f32]) -> Vec<usize> {
    if len == 0 {
        return Vec::new();
    }
    let mut score: Vec<f32> = em[..labels].to_vec();
    let mut next = vec![0f32; labels];
    let mut back = vec![0usize; len * labels];
    for t in 1..len {
        for j in 0..labels {
            let mut best = score[0] + trans[j];
            let mut arg = 0;
            for i in 1..labels {
                let cand = score[i] + trans[i * labels + j];
                if cand > best {
                    best = cand;
                    arg = i;
                }
            }
            back[t * labels + j] = arg;
            next[j] = best + em[t * labels + j];
        }
        std::mem::swap(&mut score, &mut next);
    }
    let mut cur = 0;
    for j in 1..labels {
        if score[j] > score[cur] {
            cur = j;
        }
    }
    let mut path = vec![0usize; len];
    for t in (1..len).rev() {
        path[t] = cur;
        cur = back[t * labels + cur];
    }
    path[0] = cur;
    path
}
