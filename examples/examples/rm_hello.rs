//! A guest's first words with the resource manager, through `gunyah-rm-rpc`'s `Client`.
//!
//! The guest asks the simulated resource manager (on its own thread, woken by its vIRQs,
//! with interrupts delivered from other threads: what a real guest sees) for its VM id
//! (`VM_GET_VMID`) and its message queues (`VM_GET_HYP_RESOURCES`), prints them, makes one
//! call the resource manager refuses, and prints both sides' counters. It exits non-zero if
//! anything is not as expected.
//!
//! ```text
//! cargo run -p gunyah-msgq-examples --example rm_hello -- [--vmid N] [--quirks]
//! ```

use std::io::{self, Write};
use std::process::ExitCode;

use gunyah_msgq::{LinkDesc, QueueDesc};
use gunyah_msgq_mock::model::Mode;
use gunyah_msgq_mock::rm::SimulatedRm;
use gunyah_msgq_mock::{LinkConfig, MockHypervisor, StdDelay};
use gunyah_rm_rpc::{Client, ClientConfig, RmError, RpcError};

const USAGE: &str = "usage: rm_hello [--vmid N] [--quirks]
  --vmid N   the VM id the resource manager gives the guest, 1..=65535 except 255 (the resource manager's own; default 3)
  --quirks   the hypervisor's public-source behaviour instead of the documented errors";

/// A msg_id the resource manager does not implement.
const UNKNOWN_CALL: u32 = 0x5600_00FF;

#[derive(Debug)]
struct Options {
    vmid: u16,
    quirks: bool,
}

fn parse_options(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut o = Options {
        vmid: 3,
        quirks: false,
    };
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--vmid" => {
                let v = args.next().ok_or("--vmid needs a value")?;
                o.vmid = v
                    .parse::<u16>()
                    .ok()
                    .filter(|&n| n != 0 && n != 255)
                    .ok_or_else(|| format!("--vmid: '{v}' is not 1..=65535 except 255"))?;
            }
            "--quirks" => o.quirks = true,
            "--help" | "-h" => return Err(String::new()),
            other => return Err(format!("unknown option '{other}'")),
        }
    }
    Ok(o)
}

/// One queue, readably.
fn queue(q: &QueueDesc) -> String {
    format!(
        "cap {:#x}, INTID {} (SPI {}), {:?}, {}-byte messages, depth {}",
        q.cap.raw(),
        q.intid,
        q.intid.wrapping_sub(32),
        q.trigger,
        q.max_msg_size,
        q.depth
    )
}

/// Talks to the resource manager, printing to `out`; `Err` says what went wrong.
fn run(o: &Options, out: &mut impl Write) -> Result<(), String> {
    let p = |out: &mut dyn Write, line: String| {
        writeln!(out, "{line}").map_err(|e| format!("output: {e}"))
    };
    // The hypervisor delivers interrupts on threads of its own, as a real one would.
    let hyp = MockHypervisor::threaded();
    let mode = if o.quirks {
        Mode::PublicSourceQuirks
    } else {
        Mode::Documented
    };
    let (guest, rm) = SimulatedRm::builder()
        .vmid(o.vmid)
        .link_config(LinkConfig::RM_LINK.with_mode(mode))
        .build(&hyp)
        .map_err(|e| format!("link setup: {e}"))?;
    // The guest's end of the RM link (a real guest builds it from its device tree's RM node).
    // It is not started: the client polls, and nothing else may drain its RX queue.
    let link = guest
        .msg_queue::<240>()
        .map_err(|e| format!("queue: {e}"))?;
    // The resource manager runs on its own thread, woken by its vIRQs.
    let rm_thread = rm.spawn().map_err(|e| format!("RM thread: {e}"))?;

    // The client: 240-byte messages, 5 s timeout, the host's clock for its waits, and a
    // reply buffer of 1 KiB (a VMID, and a resource list of up to 23 entries).
    let mut client: Client<_, _, _, 1024> =
        Client::new(&link, StdDelay, ClientConfig::new(), |note| {
            println!("notification {:#x}: {:02x?}", note.msg_id, note.payload);
        });

    let vmid = client
        .vm_get_vmid()
        .map_err(|e| format!("VM_GET_VMID: {e}"))?;
    p(out, format!("{:<20} -> VMID {vmid}", "VM_GET_VMID"))?;
    if vmid != o.vmid {
        return Err(format!("VMID {vmid}, expected {}", o.vmid));
    }

    let resources = client
        .vm_get_hyp_resources(vmid)
        .map_err(|e| format!("VM_GET_HYP_RESOURCES: {e}"))?;
    let entries = resources.len();
    let links: Vec<LinkDesc> = resources
        .msgq_links()
        .collect::<Result<_, _>>()
        .map_err(|e| format!("VM_GET_HYP_RESOURCES: a queue: {e}"))?;
    p(
        out,
        format!(
            "{:<20} -> {entries} entries, {} message-queue link(s)",
            "VM_GET_HYP_RESOURCES",
            links.len()
        ),
    )?;
    for l in &links {
        p(out, format!("  link, label {}:", l.label))?;
        if let Some(tx) = &l.tx {
            p(out, format!("    TX {}", queue(tx)))?;
        }
        if let Some(rx) = &l.rx {
            p(out, format!("    RX {}", queue(rx)))?;
        }
    }
    // The RM link must be among them: the capabilities this guest is talking on.
    let caps = (Some(guest.tx_cap()), Some(guest.rx_cap()));
    if !links
        .iter()
        .any(|l| (l.tx.map(|q| q.cap), l.rx.map(|q| q.cap)) == caps)
    {
        return Err("the RM link is not among the queues".into());
    }

    let refused = client.call(UNKNOWN_CALL, &[]).map(<[u8]>::len);
    let answer = match &refused {
        Ok(len) => format!("answered ({len} bytes)"),
        Err(e) => format!("refused: {e}"),
    };
    p(
        out,
        format!("{:<20} -> {answer}", format!("call {UNKNOWN_CALL:#x}")),
    )?;
    if refused != Err(RpcError::Rm(RmError::Unimplemented)) {
        return Err(format!(
            "call {UNKNOWN_CALL:#x}: {refused:?}, expected Unimplemented"
        ));
    }

    let c = client.stats();
    p(
        out,
        format!(
            "client: {} requests, {} replies, {} notifications, {} late, {} timeouts, \
             {} aborted, {} dropped",
            c.requests,
            c.replies,
            c.notifications,
            c.late_replies,
            c.timeouts,
            c.aborted,
            c.dropped
        ),
    )?;
    if !rm_thread.stop() {
        return Err("the RM thread panicked".into());
    }
    hyp.shutdown();
    let r = rm.stats();
    p(
        out,
        format!(
            "resource manager: {} requests, {} replies, {} fragments sent, {} malformed",
            r.requests, r.replies, r.fragments_sent, r.malformed
        ),
    )?;
    let clean = (c.late_replies, c.timeouts, c.aborted, c.dropped) == (0, 0, 0, 0)
        && (c.requests, c.replies) == (3, 3)
        && (r.requests, r.replies, r.malformed) == (3, 3, 0);
    if !clean {
        return Err("unexpected counters".into());
    }
    Ok(())
}

fn main() -> ExitCode {
    let options = match parse_options(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(message) if message.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("rm_hello: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    println!(
        "rm_hello: guest VM {}, resource manager on its own thread, {} hypervisor, threaded interrupts",
        options.vmid,
        if options.quirks {
            "public-source quirks"
        } else {
            "documented-errors"
        }
    );
    match run(&options, &mut io::stdout()) {
        Ok(()) => {
            println!("result: ok");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("rm_hello: FAILED: {message}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, String> {
        parse_options(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn options() {
        for bad in [
            &["--vmid", "0"][..],
            &["--vmid", "255"],
            &["--vmid", "65536"],
            &["--vmid", "x"],
            &["--vmid"],
            &["--bogus"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?} accepted");
        }
        let o = parse(&["--vmid", "65535", "--quirks"]).unwrap();
        assert_eq!((o.vmid, o.quirks), (65535, true));
        assert_eq!(parse(&[]).unwrap().vmid, 3);
    }

    fn output(o: &Options) -> String {
        let mut out = Vec::new();
        run(o, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_guest_learns_its_vmid_and_queues() {
        let text = output(&Options {
            vmid: 3,
            quirks: false,
        });
        for line in [
            "VM_GET_VMID          -> VMID 3",
            "VM_GET_HYP_RESOURCES -> 2 entries, 1 message-queue link(s)",
            "  link, label 0:",
            "INTID 960 (SPI 928), Edge, 240-byte messages, depth 8",
            "INTID 961 (SPI 929), Edge, 240-byte messages, depth 8",
            "refused: resource manager error 0xffffffff (Unimplemented)",
            "client: 3 requests, 3 replies, 0 notifications, 0 late, 0 timeouts, 0 aborted, 0 dropped",
            "resource manager: 3 requests, 3 replies, 3 fragments sent, 0 malformed",
        ] {
            assert!(text.contains(line), "no '{line}' in:\n{text}");
        }
    }

    #[test]
    fn another_vmid_on_a_quirks_hypervisor() {
        let text = output(&Options {
            vmid: 0x0201,
            quirks: true,
        });
        assert!(text.contains("VMID 513"), "{text}");
    }
}
