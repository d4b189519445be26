//! Which inputs a run reads, and in which order: the one planner every
//! command uses.
//!
//! Folders are expanded into the capture files below them; then every file
//! is put in the order of its first packet's time, so that a call that
//! spans two files (a capture rotated by `tcpdump -C` or `-G`, or split by
//! `editcap`) is read in the order it happened, whatever the files are
//! named (`file`, `file1` … `file10` sort wrongly by name).

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use crate::source::pcap::{first_time, is_capture};

/// The files to read for `inputs`, in the order to read them.
///
/// - A folder stands for the `.pcap`, `.pcapng` and `.cap` files below it,
///   at any depth.
/// - Files are ordered by the time of their first packet. Inputs with no
///   such time (a raw stream of SIP messages, standard input `-`, a file
///   that cannot be read or holds no packet) keep their place among
///   themselves, after the others.
/// - No input at all means standard input.
///
/// A file that cannot be read is kept, so that reading it reports why.
///
/// ```
/// let plan = sipline_capture::plan_inputs(&["no/such/file.pcap".to_string(), "-".to_string()]);
/// assert_eq!(plan, ["no/such/file.pcap", "-"]);
/// assert_eq!(sipline_capture::plan_inputs(&[]), ["-"]);
/// ```
pub fn plan_inputs(inputs: &[String]) -> Vec<String> {
    let mut files: Vec<(Option<f64>, usize, String)> = expand(inputs)
        .into_iter()
        .enumerate()
        .map(|(i, f)| (first_timestamp(&f), i, f))
        .collect();
    files.sort_by(|a, b| match (a.0, b.0) {
        (Some(x), Some(y)) => x.total_cmp(&y).then(a.1.cmp(&b.1)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.1.cmp(&b.1),
    });
    files.into_iter().map(|(_, _, f)| f).collect()
}

/// The capture time (seconds since the epoch, UTC) of the first packet of
/// the capture at `path`, read as the capture is read for SIP (the same
/// interfaces, resolutions and offsets), stopping at that packet. `None`
/// for a raw stream, standard input (`-`), a file that cannot be read, or a
/// capture whose first packet has no time.
///
/// ```
/// assert_eq!(sipline_capture::first_timestamp("no/such/file.pcap"), None);
/// ```
pub fn first_timestamp(path: &str) -> Option<f64> {
    if path == "-" {
        return None;
    }
    let mut r = BufReader::with_capacity(64 * 1024, File::open(path).ok()?);
    if !is_capture(r.fill_buf().ok()?) {
        return None;
    }
    first_time(path, r)
}

/// Folders expanded into the capture files below them (sorted by name);
/// files and `-` kept as they are; standard input when there is nothing.
fn expand(inputs: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for i in inputs {
        let p = Path::new(i);
        if !p.is_dir() {
            out.push(i.clone());
            continue;
        }
        let mut files = Vec::new();
        let mut stack = vec![p.to_path_buf()];
        while let Some(d) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in rd.flatten() {
                let path = e.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path
                    .extension()
                    .is_some_and(|x| x == "pcap" || x == "pcapng" || x == "cap")
                {
                    files.push(path.display().to_string());
                }
            }
        }
        files.sort();
        out.extend(files);
    }
    if out.is_empty() {
        out.push("-".into());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{read_path, Location, ReadOptions, Sink, Skip};

    /// The first time a capture's reading hands the sink.
    #[derive(Default)]
    struct FirstTime(Option<f64>);
    impl Sink for FirstTime {
        fn message(&mut self, _: &Location<'_>, _: &sipline::Message<'_>, _: usize) {}
        fn malformed(&mut self, _: &Location<'_>, _: &sipline::Error) {}
        fn skipped(&mut self, _: &Location<'_>, _: Skip) {}
        fn time(&mut self, ts: f64) {
            self.0.get_or_insert(ts);
        }
    }

    fn bundled(path: &str) -> String {
        format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"))
    }

    #[test]
    fn the_first_timestamp_is_the_first_time_reading_gives() {
        for path in [
            "corpus/captures/loopback.pcap",
            "tests/data/loopback.pcapng",
        ] {
            let path = bundled(path);
            let mut first = FirstTime::default();
            read_path(&path, &ReadOptions::default(), &mut first).unwrap();
            assert!(first.0.is_some(), "{path}");
            assert_eq!(first_timestamp(&path), first.0, "{path}");
        }
        // A raw SIP message has no packets.
        let raw = bundled("corpus/messages/001.dat");
        assert!(std::path::Path::new(&raw).is_file());
        assert_eq!(first_timestamp(&raw), None);
    }

    #[test]
    fn folders_expand_and_files_order_by_first_packet() {
        // corpus/ holds three captures in two folders, one a level down.
        let dir = bundled("corpus");
        let plan = plan_inputs(&[dir.clone(), "-".into()]);
        assert_eq!(plan.len(), 4, "{plan:?}");
        assert_eq!(plan.last().map(String::as_str), Some("-"));
        let times: Vec<f64> = plan[..plan.len() - 1]
            .iter()
            .map(|f| first_timestamp(f).expect("a capture"))
            .collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{plan:?} {times:?}");
        assert!(plan.iter().all(|f| f == "-" || f.starts_with(&dir)));
    }
}
