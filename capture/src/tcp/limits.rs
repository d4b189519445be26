//! The limits of TCP reassembly.

/// The limits of reassembly.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TcpLimits {
    /// The most directions held at once; the least recently seen is evicted.
    pub max_flows: usize,
    /// The most out-of-order bytes held per direction before a gap is declared.
    pub reorder_window: usize,
    /// The most bytes held by all directions together (partial messages and
    /// out-of-order segments); past it, the least recently seen are evicted.
    pub memory_budget: usize,
    /// Seconds of capture time after which an idle direction is closed.
    pub idle_timeout: f64,
    /// How many bytes of a new direction are searched for SIP before it is
    /// taken as something else for good.
    pub probe_budget: usize,
}

impl Default for TcpLimits {
    /// 65 536 directions (an SBC's TCP and TLS phones), a 64 KiB reorder
    /// window, 256 MiB of buffers in all, 300 s idle, 64 KiB searched.
    fn default() -> Self {
        TcpLimits {
            max_flows: 65_536,
            reorder_window: 64 * 1024,
            memory_budget: 256 << 20,
            idle_timeout: 300.0,
            probe_budget: 64 * 1024,
        }
    }
}
