//! The traits: generic code over `AsyncMailbox` (and `Mailbox`) waits without knowing the
//! queue type.

use gunyah_msgq::{
    AsyncMailbox, Error, ErrorKind, ErrorType, Mailbox, RecvOutcome, SendFlags, SendOutcome,
};

use super::*;

/// Answers each message with its reverse.
async fn echo_reversed<M: AsyncMailbox>(mb: M, rounds: usize) -> Result<(), M::Error> {
    let mut buf = [0; MAX];
    for _ in 0..rounds {
        let len = mb.recv(&mut buf).await?;
        buf[..len].reverse();
        mb.send(&buf[..len], SendFlags::PUSH, forever(), 1_000)
            .await?;
    }
    Ok(())
}

fn kind_of<M: ErrorType>(e: M::Error) -> ErrorKind {
    gunyah_msgq::mailbox::Error::kind(&e)
}

#[test]
fn generic_code_by_reference_and_by_mut_reference() {
    let r = rig(false, Edges::All);
    r.peer().send(b"abc", SendFlags::NONE);
    block_on(echo_reversed(&*r.q, 1)).unwrap();
    assert_eq!(r.peer().recv().unwrap(), Some(b"cba".to_vec()));

    let (hyp, link) = super::link(false, &gunyah_msgq_mock::LinkConfig::RM_LINK);
    let mut q: AQ = gunyah_msgq::AsyncQueue::new(link.a.msg_queue().unwrap());
    q.start().unwrap();
    link.b.send(b"xyz", SendFlags::NONE);
    block_on(echo_reversed(&mut q, 1)).unwrap();
    assert_eq!(link.b.recv().unwrap(), Some(b"zyx".to_vec()));
    hyp.shutdown();
}

#[test]
fn trait_errors_are_the_queue_errors() {
    let r = rig(false, Edges::All);
    let mut buf = [0; MAX];
    let mut waiting = Hand::new(AsyncMailbox::recv(&*r.q, &mut buf));
    waiting.pending();
    let e = block_on(AsyncMailbox::recv(&&*r.q, &mut [0; MAX])).unwrap_err();
    assert_eq!(e, Error::AlreadyReceiving);
    assert_eq!(kind_of::<AQ>(e), ErrorKind::Busy);
    drop(waiting);
    r.q.shutdown();
    let e = block_on(AsyncMailbox::send(
        &*r.q,
        b"m",
        SendFlags::NONE,
        forever(),
        1,
    ));
    assert_eq!(e, Err(Error::Closed));
}

#[test]
fn the_queue_is_a_mailbox_too() {
    let r = rig(false, Edges::All);
    let mb: &dyn Mailbox<Error = Error> = &*r.q;
    assert!(matches!(
        mb.try_send(b"hi", SendFlags::NONE),
        Ok(SendOutcome::Sent { not_full: true })
    ));
    assert_eq!(r.peer().recv().unwrap(), Some(b"hi".to_vec()));
    r.peer().send(b"yo", SendFlags::NONE);
    let mut buf = [0; MAX];
    assert_eq!(
        mb.try_recv(&mut buf),
        Ok(RecvOutcome::Received {
            len: 2,
            more: false
        })
    );
    assert_eq!(mb.try_recv(&mut buf), Ok(RecvOutcome::Empty));
}
