//! Random bytes, truncations and corruptions of valid trees never panic: they give a
//! `DtError` (or, for a corruption the reader cannot see, a description).

mod common;

use common::*;
use gunyah_msgq_dt::Tree;
use proptest::prelude::*;

/// Everything the crate reads, on `blob`.
fn read_everything(blob: &[u8]) {
    let _ = Tree::total_size(blob);
    if let Ok(tree) = Tree::new(blob) {
        let _ = tree.rm_link().map(|l| l.configs::<240, _>((), ()));
        for link in tree.message_queues().flatten() {
            let _ = link.tx.map(|q| q.tx_config::<1023, _>(()));
            let _ = link.rx.map(|q| q.rx_config::<1023, _>(()));
        }
        let _ = tree.message_queue(3);
    }
}

/// A valid tree with the RM link and a labelled pair.
fn valid() -> Vec<u8> {
    blob(&root(vec![hypervisor(vec![
        rm_node(rm_props()),
        vm_node(),
        node("q@10", msgq_props(3), vec![]),
    ])]))
}

/// `blob` with its header's `totalsize` set to its length.
fn with_total_size(mut blob: Vec<u8>) -> Vec<u8> {
    if blob.len() >= 8 {
        let len = blob.len() as u32;
        blob[4..8].copy_from_slice(&len.to_be_bytes());
    }
    blob
}

#[test]
fn every_truncation() {
    let blob = valid();
    for len in 0..blob.len() {
        read_everything(&blob[..len]);
        read_everything(&with_total_size(blob[..len].to_vec()));
    }
}

#[test]
fn every_single_byte_corruption() {
    let blob = valid();
    for i in 0..blob.len() {
        for value in [0x00, 0x01, 0x02, 0x03, 0x04, 0x09, 0x7f, 0x80, 0xff] {
            let mut bad = blob.clone();
            bad[i] = value;
            read_everything(&bad);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        read_everything(&bytes);
    }

    #[test]
    fn random_bytes_behind_a_valid_magic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut blob = vec![0xd0, 0x0d, 0xfe, 0xed];
        blob.extend_from_slice(&bytes);
        read_everything(&with_total_size(blob));
    }

    #[test]
    fn random_corruptions_of_a_valid_tree(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let mut blob = valid();
        for (at, value) in edits {
            let i = at.index(blob.len());
            blob[i] = value;
        }
        read_everything(&blob);
    }

    #[test]
    fn random_truncations_with_a_matching_header(at in any::<prop::sample::Index>()) {
        let blob = valid();
        read_everything(&with_total_size(blob[..at.index(blob.len())].to_vec()));
    }
}
