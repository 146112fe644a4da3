//! Property tests: fragment → reassemble gives back every payload, whatever junk frames come
//! between the fragments; the client gets its reply whatever comes before it.

mod common;

use common::*;
use gunyah_rm_rpc::fragment::max_payload;
use gunyah_rm_rpc::wire::{API_BYTE, HEADER_LEN, Header, MAX_PAYLOAD, MsgType};
use gunyah_rm_rpc::{Fragmenter, Progress, ReassembleError, Reassembler};
use proptest::prelude::*;

fn start_kind() -> impl Strategy<Value = MsgType> {
    prop_oneof![
        Just(MsgType::Request),
        Just(MsgType::Reply),
        Just(MsgType::Notification)
    ]
}

/// A frame the reassembler must drop without touching the partial message.
fn junk() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        // Shorter than a header.
        proptest::collection::vec(any::<u8>(), 0..HEADER_LEN),
        // Another API byte.
        (
            any::<u8>().prop_filter("not 0x21", |b| *b != API_BYTE),
            proptest::collection::vec(any::<u8>(), 7..40)
        )
            .prop_map(|(b, mut rest)| {
                rest.insert(0, b);
                rest
            }),
        // A count of 63.
        (0u8..4, any::<u16>(), any::<u32>()).prop_map(|(t, seq, id)| {
            let mut f = Header::new(MsgType::from_bits(t), 0, seq, id)
                .encode()
                .to_vec();
            f[1] |= 63 << 2;
            f
        }),
        // Longer than 240 bytes.
        (241usize..300).prop_map(|len| {
            let mut f = vec![0; len];
            f[..HEADER_LEN].copy_from_slice(&Header::new(MsgType::Reply, 0, 0, 1).encode());
            f
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn fragment_then_reassemble(
        payload in proptest::collection::vec(any::<u8>(), 0..=MAX_PAYLOAD),
        kind in start_kind(),
        seq in any::<u16>(),
        msg_id in any::<u32>(),
        junk in proptest::collection::vec((any::<proptest::sample::Index>(), junk()), 0..20),
    ) {
        let frames: Vec<Vec<u8>> = Fragmenter::new(kind, seq, msg_id, &payload, 240)
            .unwrap()
            .map(|f| f.frame().as_bytes().to_vec())
            .collect();
        // Junk goes anywhere, before, between or after the fragments.
        let mut stream: Vec<(bool, Vec<u8>)> = frames.into_iter().map(|f| (true, f)).collect();
        for (at, frame) in junk {
            let at = at.index(stream.len() + 1);
            stream.insert(at, (false, frame));
        }
        let mut buf = vec![0u8; MAX_PAYLOAD];
        let mut rx = Reassembler::new(&mut buf[..]);
        let mut complete = Vec::new();
        for (real, frame) in &stream {
            let pushed = rx.push(frame);
            prop_assert_eq!(pushed.aborted, None);
            match pushed.result {
                Ok(Progress::Complete(msg)) => {
                    prop_assert!(*real);
                    complete.push((msg.header, msg.payload.to_vec()));
                }
                Ok(Progress::Partial) => prop_assert!(*real),
                Err(ReassembleError::Wire(_)) => prop_assert!(!*real),
                Err(e) => prop_assert!(false, "{:?}", e),
            }
        }
        let count = if payload.is_empty() { 0 } else { (payload.len() - 1) / 232 };
        prop_assert_eq!(
            complete,
            vec![(Header::new(kind, count as u8, seq, msg_id), payload)]
        );
    }

    #[test]
    fn messages_back_to_back_on_any_queue_size(
        payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..2000), 1..6),
        max in 9usize..=1023,
    ) {
        let mut rx = Reassembler::new([0u8; 2000]);
        for (i, payload) in payloads.iter().enumerate() {
            let mut got = None;
            let payload = &payload[..payload.len().min(max_payload(max))];
            for f in Fragmenter::new(MsgType::Notification, 0, i as u32 + 1, payload, max).unwrap() {
                prop_assert!(f.frame().as_bytes().len() <= max.min(240));
                let pushed = rx.push(f.frame().as_bytes());
                prop_assert_eq!(pushed.aborted, None);
                if let Ok(Progress::Complete(msg)) = pushed.result {
                    got = Some(msg.payload.to_vec());
                }
            }
            prop_assert_eq!(got.as_deref(), Some(payload));
        }
    }

    #[test]
    fn the_client_gets_its_reply_after_anything(
        reply_len in 0usize..=1020,
        before in proptest::collection::vec(
            prop_oneof![
                Just(RecvStep::Empty),
                (1u32..100, proptest::collection::vec(any::<u8>(), 0..232))
                    .prop_map(|(id, p)| RecvStep::Frame(notification(id, &p))),
                (any::<u16>(), 1u32..5).prop_map(|(seq, id)| {
                    RecvStep::Frame(reply(seq.max(1), id, 0, &[])[0].clone())
                }),
                junk().prop_map(RecvStep::Frame),
            ],
            0..30,
        ),
    ) {
        let rm = ScriptedRm::new();
        let mut notifications = 0;
        for step in &before {
            if let RecvStep::Frame(f) = step {
                if f.len() >= HEADER_LEN && f[0] == API_BYTE && f[1] == 3 {
                    notifications += 1;
                }
            }
            rm.queue_rx_step(step.clone());
        }
        let payload: Vec<u8> = (0..reply_len).map(|i| i as u8).collect();
        rm.queue_rx(reply(0, 7, 0, &payload));
        let (mut c, seen) = client(&rm);
        prop_assert_eq!(c.call(7, &[]), Ok(&payload[..]));
        prop_assert_eq!(seen.borrow().len(), notifications);
        prop_assert_eq!(c.stats().replies, 1);
    }
}
