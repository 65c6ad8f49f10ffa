//! How queued messages are cut into `SendMessageBatch` requests.

use crate::config::{MAX_BATCH_BYTES, MAX_BATCH_ENTRIES};

/// How many messages from the front of the queue (given their body sizes in order) go into the
/// next batch: at most `MAX_BATCH_ENTRIES`, and at most `MAX_BATCH_BYTES` of bodies unless a
/// single message is that large on its own (it then travels alone).
pub fn next_batch_len(sizes: impl IntoIterator<Item = usize>) -> usize {
    let mut count = 0;
    let mut bytes = 0;
    for size in sizes {
        if count == MAX_BATCH_ENTRIES || (count > 0 && bytes + size > MAX_BATCH_BYTES) {
            break;
        }
        count += 1;
        bytes += size;
    }
    count
}

/// The batch lengths a whole queue of these sizes is cut into, in order.
pub fn split(sizes: &[usize]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut rest = sizes;
    while !rest.is_empty() {
        let n = next_batch_len(rest.iter().copied());
        out.push(n);
        rest = &rest[n..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const KIB: usize = 1024;

    #[test]
    fn cuts_by_entry_count_and_bytes() {
        let cases: &[(&str, Vec<usize>, Vec<usize>)] = &[
            ("empty", vec![], vec![]),
            ("one", vec![5], vec![1]),
            ("ten fit one batch", vec![1; 10], vec![10]),
            ("25 small need 3", vec![1; 25], vec![10, 10, 5]),
            ("bytes cap", vec![100 * KIB; 5], vec![2, 2, 1]),
            (
                "exactly 256 KiB together",
                vec![128 * KIB, 128 * KIB, 1],
                vec![2, 1],
            ),
            ("max message alone", vec![1, 256 * KIB, 1], vec![1, 1, 1]),
            (
                "mixed",
                vec![200 * KIB, 10 * KIB, 50 * KIB, 1, 1],
                vec![2, 3],
            ),
        ];
        for (name, sizes, want) in cases {
            assert_eq!(&split(sizes), want, "{name}");
        }
    }

    #[test]
    fn every_batch_respects_the_limits() {
        let sizes: Vec<usize> = (0..500).map(|i| (i * 7919) % (64 * KIB) + 1).collect();
        let mut start = 0;
        for n in split(&sizes) {
            let batch = &sizes[start..start + n];
            assert!((1..=MAX_BATCH_ENTRIES).contains(&n));
            assert!(batch.iter().sum::<usize>() <= MAX_BATCH_BYTES);
            start += n;
        }
        assert_eq!(start, sizes.len());
    }
}
