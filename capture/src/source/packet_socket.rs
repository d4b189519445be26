//! A Linux packet socket (`AF_PACKET`, `SOCK_DGRAM`): what an interface
//! sends and receives, from its network header on, with the kernel's
//! timestamp, the packet's direction and protocol, a classic BPF filter run
//! in the kernel, and the kernel's own count of packets it dropped.
//!
//! The crate's one module with `unsafe` code: the system calls, each with
//! what makes it sound (the receive buffer of the HEP collector's UDP
//! socket is set here too). libpcap is not needed, at build or run time.

#![allow(unsafe_code)]

use std::ffi::CString;
use std::io;
use std::mem::{size_of, zeroed};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

/// One classic BPF instruction (`struct sock_filter`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Insn {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

/// What one receive gave.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Received {
    /// Bytes written to the buffer.
    pub len: usize,
    /// The packet's length (more than `len` when the buffer was too small).
    pub wire_len: usize,
    /// When the kernel received or sent it, seconds since the epoch.
    pub time: Option<f64>,
    /// Its ethertype (IPv4 `0x0800`, IPv6 `0x86dd`, VLAN …).
    pub protocol: u16,
    /// `PACKET_HOST`, `PACKET_OUTGOING` …
    pub pkttype: u8,
    /// The interface it was seen on.
    pub ifindex: i32,
    /// The interface's hardware type (`ARPHRD_*`).
    pub hatype: u16,
}

/// A packet direction: sent by this host.
pub(crate) const PACKET_OUTGOING: u8 = libc::PACKET_OUTGOING;

/// The index of the interface named `name`, if there is one.
pub(crate) fn interface_index(name: &str) -> Option<i32> {
    let c = CString::new(name).ok()?;
    // SAFETY: `c` is a valid NUL-terminated string for the call's duration.
    let index = unsafe { libc::if_nametoindex(c.as_ptr()) };
    i32::try_from(index).ok().filter(|&i| i > 0)
}

/// Asks for a receive buffer of `bytes` on `socket`: past
/// `net.core.rmem_max` with CAP_NET_ADMIN (SO_RCVBUFFORCE), else as much as
/// the kernel grants (SO_RCVBUF).
pub(crate) fn set_receive_buffer(socket: &impl AsRawFd, bytes: usize) -> io::Result<()> {
    let size = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
    let set = |name| {
        // SAFETY: `size` is a live c_int and the length passed is its size.
        check(unsafe {
            libc::setsockopt(
                socket.as_raw_fd(),
                libc::SOL_SOCKET,
                name,
                std::ptr::from_ref(&size).cast(),
                size_of::<libc::c_int>() as libc::socklen_t,
            )
        })
        .map(|_| ())
    };
    set(libc::SO_RCVBUFFORCE).or_else(|_| set(libc::SO_RCVBUF))
}

/// An open packet socket.
#[derive(Debug)]
pub(crate) struct PacketSocket {
    fd: OwnedFd,
}

fn check(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

impl PacketSocket {
    /// Opens a packet socket on the interface of index `ifindex` (0: every
    /// interface), runs `filter` in the kernel on every packet before
    /// anything reaches the socket, asks for a receive buffer of `buffer`
    /// bytes, and waits at most `timeout` in [`recv`](Self::recv).
    pub(crate) fn open(
        ifindex: i32,
        filter: &[Insn],
        buffer: usize,
        timeout: Duration,
    ) -> io::Result<PacketSocket> {
        // Protocol 0: nothing is received until the bind below, after the
        // filter is in place, so no packet escapes it.
        // SAFETY: plain system call with constant arguments.
        let fd = check(unsafe {
            libc::socket(libc::AF_PACKET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0)
        })?;
        // SAFETY: `fd` was just returned by socket() and is owned by no one else.
        let socket = PacketSocket {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        };
        set_receive_buffer(&socket.fd, buffer)?;
        socket.set(libc::SOL_SOCKET, libc::SO_TIMESTAMPNS, &1 as &libc::c_int)?;
        let tv = libc::timeval {
            tv_sec: libc::time_t::try_from(timeout.as_secs()).unwrap_or(1),
            tv_usec: libc::suseconds_t::from(timeout.subsec_micros().max(1)),
        };
        socket.set(libc::SOL_SOCKET, libc::SO_RCVTIMEO, &tv)?;
        let mut program: Vec<libc::sock_filter> = filter
            .iter()
            .map(|i| libc::sock_filter {
                code: i.code,
                jt: i.jt,
                jf: i.jf,
                k: i.k,
            })
            .collect();
        let fprog = libc::sock_fprog {
            len: u16::try_from(program.len())
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "filter too long"))?,
            filter: program.as_mut_ptr(),
        };
        socket.set(libc::SOL_SOCKET, libc::SO_ATTACH_FILTER, &fprog)?;
        // SAFETY: an all-zero sockaddr_ll is a valid value of the type.
        let mut addr: libc::sockaddr_ll = unsafe { zeroed() };
        addr.sll_family = libc::AF_PACKET as libc::c_ushort;
        addr.sll_protocol = (libc::ETH_P_ALL as u16).to_be();
        addr.sll_ifindex = ifindex;
        // SAFETY: `addr` is a sockaddr_ll and the length passed is its size.
        check(unsafe {
            libc::bind(
                socket.fd.as_raw_fd(),
                std::ptr::from_ref(&addr).cast(),
                size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        })?;
        // The counters start from the bind.
        socket.statistics()?;
        Ok(socket)
    }

    fn set<T>(&self, level: libc::c_int, name: libc::c_int, value: &T) -> io::Result<()> {
        // SAFETY: `value` points to a live T of the size passed.
        check(unsafe {
            libc::setsockopt(
                self.fd.as_raw_fd(),
                level,
                name,
                std::ptr::from_ref(value).cast(),
                size_of::<T>() as libc::socklen_t,
            )
        })
        .map(|_| ())
    }

    /// The next packet into `buf`: `Ok(None)` when none came within the
    /// timeout (or a signal interrupted the wait).
    pub(crate) fn recv(&self, buf: &mut [u8]) -> io::Result<Option<Received>> {
        // SAFETY: all-zero values are valid for these plain C structs.
        let mut from: libc::sockaddr_ll = unsafe { zeroed() };
        let mut control = [0u64; 8];
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        // SAFETY: as above.
        let mut msg: libc::msghdr = unsafe { zeroed() };
        msg.msg_name = std::ptr::from_mut(&mut from).cast();
        msg.msg_namelen = size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = size_of::<[u64; 8]>() as _;
        // SAFETY: every pointer in `msg` points to a live buffer of the
        // length given beside it, for the call's duration. MSG_TRUNC makes
        // the result the packet's length even when longer than `buf`.
        let n = unsafe { libc::recvmsg(self.fd.as_raw_fd(), &mut msg, libc::MSG_TRUNC) };
        if n < 0 {
            let e = io::Error::last_os_error();
            return match e.kind() {
                io::ErrorKind::WouldBlock
                | io::ErrorKind::TimedOut
                | io::ErrorKind::Interrupted => Ok(None),
                _ => Err(e),
            };
        }
        let wire_len = usize::try_from(n).unwrap_or_default();
        let mut time = None;
        // SAFETY: `msg` was filled by recvmsg; the CMSG macros walk its
        // control buffer within `msg_controllen`, and a SCM_TIMESTAMPNS
        // message holds one timespec (read unaligned).
        unsafe {
            let mut c = libc::CMSG_FIRSTHDR(&msg);
            while !c.is_null() {
                if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_TIMESTAMPNS {
                    let ts: libc::timespec =
                        std::ptr::read_unaligned(libc::CMSG_DATA(c).cast::<libc::timespec>());
                    time = Some(ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9);
                }
                c = libc::CMSG_NXTHDR(&msg, c);
            }
        }
        Ok(Some(Received {
            len: wire_len.min(buf.len()),
            wire_len,
            time,
            protocol: u16::from_be(from.sll_protocol),
            pkttype: from.sll_pkttype,
            ifindex: from.sll_ifindex,
            hatype: from.sll_hatype,
        }))
    }

    /// The packets the kernel passed the filter and those it dropped (its
    /// buffer was full) since the last call: the kernel resets both.
    pub(crate) fn statistics(&self) -> io::Result<(u64, u64)> {
        // SAFETY: an all-zero tpacket_stats is valid.
        let mut stats: libc::tpacket_stats = unsafe { zeroed() };
        let mut len = size_of::<libc::tpacket_stats>() as libc::socklen_t;
        // SAFETY: `stats` is a live tpacket_stats and `len` its size.
        check(unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_PACKET,
                libc::PACKET_STATISTICS,
                std::ptr::from_mut(&mut stats).cast(),
                &mut len,
            )
        })?;
        Ok((u64::from(stats.tp_packets), u64::from(stats.tp_drops)))
    }
}
