//! Live sources: captures being written (a file read as `tail -f` reads
//! it, what `tcpdump -w` or dumpcap writes, or a folder of them, a ring
//! buffer, each file in the order written) until a stop flag is raised;
//! and the settings of a HEP collector.

use std::fs::File;
use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// How a capture being written is followed ([`ReadOptions::follow`]).
///
/// [`ReadOptions::follow`]: crate::ReadOptions::follow
#[derive(Clone, Debug)]
pub struct Follow {
    /// How long to wait before looking again when there is nothing new
    /// (at least 10 ms).
    pub poll: Duration,
    /// Raised to stop: what was written until then is read, a packet cut
    /// by the stop is counted as [`Skip::PacketCutShort`](crate::Skip),
    /// and the read ends.
    pub stop: Arc<AtomicBool>,
}

impl Default for Follow {
    /// Every 200 ms, until the flag (not raised yet) is.
    fn default() -> Self {
        Follow {
            poll: Duration::from_millis(200),
            stop: Arc::new(AtomicBool::new(false)),
        }
    }
}

impl Follow {
    pub(crate) fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    pub(crate) fn wait(&self) {
        std::thread::sleep(self.poll.max(Duration::from_millis(10)));
    }
}

/// Where a HEP collector listens, and whom it takes HEP from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HepListen {
    /// The UDP address to listen on.
    pub addr: SocketAddr,
    /// Senders taken (empty: any sender that has the password, or any
    /// sender at all on loopback).
    pub allow: Vec<IpAddr>,
    /// HEP3's capture password (its auth key chunk), required of every
    /// datagram when set.
    pub password: Option<String>,
    /// The kernel's receive buffer asked for the UDP socket, in bytes: what
    /// absorbs a burst of datagrams while the collector is busy (a sender
    /// flushing a capture sends thousands at once).
    pub buffer: usize,
}

impl HepListen {
    /// Collects on `addr`, from any sender (on loopback) with no password,
    /// with a 32 MiB receive buffer.
    pub fn new(addr: SocketAddr) -> HepListen {
        HepListen {
            addr,
            allow: Vec::new(),
            password: None,
            buffer: 32 << 20,
        }
    }

    /// The name of the collector in every location (`hep:127.0.0.1:9060`).
    pub fn name(&self) -> String {
        format!("hep:{}", self.addr)
    }

    /// Why the collector may not start: an address other than loopback
    /// takes HEP from the network, so it needs an allow-list of senders or
    /// a capture password.
    pub fn check(&self) -> Result<(), String> {
        if self.addr.ip().is_loopback() || !self.allow.is_empty() || self.password.is_some() {
            Ok(())
        } else {
            Err(format!(
                "refusing to collect HEP on {}: an address other than loopback needs an \
                 allow-list of senders or a capture password",
                self.addr
            ))
        }
    }

    /// `true` when a datagram from `from` with capture password `key` is
    /// not taken.
    pub(crate) fn refuses(&self, from: SocketAddr, key: Option<&[u8]>) -> bool {
        let allowed = self.allow.is_empty() || self.allow.contains(&from.ip());
        let password = self
            .password
            .as_ref()
            .is_none_or(|p| key == Some(p.as_bytes()));
        !(allowed && password)
    }
}

/// An interface to capture on ([`ReadOptions::iface`]): Linux only,
/// through a packet socket (no libpcap), with a kernel-side filter
/// (see [`listen_interface`](crate::listen_interface)).
///
/// [`ReadOptions::iface`]: crate::ReadOptions::iface
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interface {
    /// Its name (`eth0`, `lo`), or `any` for every interface.
    pub device: String,
    /// The kernel's receive buffer asked for the socket, in bytes: what
    /// absorbs a burst while sipline is busy (past it, the kernel drops
    /// and says how many).
    pub buffer: usize,
}

impl Interface {
    /// `device` with a 32 MiB kernel buffer.
    pub fn new(device: &str) -> Interface {
        Interface {
            device: device.to_string(),
            buffer: 32 << 20,
        }
    }

    /// The name of the source in every location (`if:eth0`).
    pub fn name(&self) -> String {
        format!("if:{}", self.device)
    }
}

/// A file being written, read as `tail -f` reads it: at its end, it waits
/// for more, until the follow stops or (in a folder) a newer file appears,
/// or (followed by name) the file is truncated or replaced.
pub(crate) struct Tail {
    file: File,
    follow: Follow,
    /// In a folder: this file's path and its place when opened (a newer
    /// file ends it).
    ring: Option<(PathBuf, FileKey)>,
    /// Followed by name: the path, and where to say that the file was
    /// truncated or replaced (which ends it).
    watch: Option<(PathBuf, Arc<std::sync::Mutex<Option<crate::sink::Skip>>>)>,
    /// Bytes read so far.
    pos: u64,
}

impl Tail {
    pub(crate) fn new(file: File, follow: Follow, ring: Option<(PathBuf, FileKey)>) -> Tail {
        Tail {
            file,
            follow,
            ring,
            watch: None,
            pos: 0,
        }
    }

    /// Followed by name: at its end, the file is checked against `path`;
    /// truncated or replaced, the read ends and `ended` says which.
    pub(crate) fn watching(
        mut self,
        path: PathBuf,
        ended: Arc<std::sync::Mutex<Option<crate::sink::Skip>>>,
    ) -> Tail {
        self.watch = Some((path, ended));
        self
    }

    /// Why the file followed by name ends, if it does: shorter than what
    /// was read, or another file under its name.
    fn ended(&self) -> Option<crate::sink::Skip> {
        let (path, _) = self.watch.as_ref()?;
        let open = self.file.metadata().ok()?;
        if open.len() < self.pos {
            return Some(crate::sink::Skip::CaptureTruncated);
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let named = std::fs::metadata(path).ok()?;
            if (named.dev(), named.ino()) != (open.dev(), open.ino()) {
                return Some(crate::sink::Skip::CaptureReplaced);
            }
        }
        None
    }
}

impl Read for Tail {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let n = self.file.read(buf)?;
            self.pos += n as u64;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            if self.follow.stopped() {
                return Ok(0);
            }
            if let Some(why) = self.ended() {
                // A replaced file may still have had its last bytes
                // written: one more read takes them.
                let n = self.file.read(buf)?;
                self.pos += n as u64;
                if n > 0 {
                    return Ok(n);
                }
                if let Some((_, ended)) = &self.watch {
                    if let Ok(mut e) = ended.lock() {
                        *e = Some(why);
                    }
                }
                return Ok(0);
            }
            if let Some((path, key)) = &self.ring {
                // A newer file: the writer moved on and this one is whole
                // (one more read takes what it wrote last).
                let dir = path.parent().unwrap_or(Path::new("."));
                if !files_after(dir, Some(key), Some(path)).is_empty() {
                    return self.file.read(buf);
                }
            }
            self.follow.wait();
        }
    }
}

/// The order of a ring buffer's files: the time last written, then the
/// name (tcpdump's `-C` and dumpcap's ring names both sort so within a
/// second).
pub(crate) type FileKey = (SystemTime, String);

fn key_of(path: &Path) -> Option<FileKey> {
    let modified = std::fs::metadata(path).ok()?.modified().ok()?;
    Some((modified, path.file_name()?.to_string_lossy().into_owned()))
}

/// The files of `dir` after `after` (all of them for `None`) but
/// `except`, in order.
pub(crate) fn files_after(
    dir: &Path,
    after: Option<&FileKey>,
    except: Option<&Path>,
) -> Vec<(PathBuf, FileKey)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<(PathBuf, FileKey)> = entries
        .filter_map(|e| {
            let path = e.ok()?.path();
            if !path.is_file() || except.is_some_and(|x| x == path) {
                return None;
            }
            let key = key_of(&path)?;
            Some((path, key))
        })
        .filter(|(_, key)| after.is_none_or(|a| key > a))
        .collect();
    files.sort_by(|a, b| a.1.cmp(&b.1));
    files
}

/// The files of the folder `dir` in the order written, each followed until
/// the next appears, the last until the follow stops: every file handed to
/// `read` (its path, and the reader to read it from). The first error is
/// answered once the follow stops; the files after it are still read.
pub(crate) fn follow_dir<E>(
    dir: &Path,
    follow: &Follow,
    mut read: impl FnMut(&str, Tail) -> Result<(), E>,
    open_error: impl Fn(&Path, std::io::Error) -> E,
) -> Result<(), E> {
    let mut done = std::collections::HashSet::new();
    let mut first_error = None;
    loop {
        let files = files_after(dir, None, None);
        // Only what is still there is remembered: memory stays bounded
        // over days of a ring buffer that deletes its oldest files.
        done.retain(|p| files.iter().any(|(f, _)| f == p));
        let next = files.into_iter().find(|(p, _)| !done.contains(p));
        match next {
            Some((path, key)) => {
                done.insert(path.clone());
                let result = match File::open(&path) {
                    Ok(file) => {
                        let name = path.to_string_lossy().into_owned();
                        let tail = Tail::new(file, follow.clone(), Some((path, key)));
                        read(&name, tail)
                    }
                    Err(e) => Err(open_error(&path, e)),
                };
                if let Err(e) = result {
                    first_error.get_or_insert(e);
                }
            }
            None if follow.stopped() => return first_error.map_or(Ok(()), Err),
            None => follow.wait(),
        }
    }
}
