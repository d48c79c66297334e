//! Name resolution off the event loop: `getaddrinfo` (std `ToSocketAddrs`) runs on a helper
//! thread, so a slow resolver never stalls other tasks' traffic. On Unix the thread wakes the
//! loop through a pipe registered under the task's own token; elsewhere the driver checks
//! back every [`RECHECK`].

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::mpsc;
use std::time::Duration;

use mio::{Registry, Token};

/// How often a pending lookup is checked where no wake-up pipe exists.
pub(crate) const RECHECK: Duration = Duration::from_millis(5);

/// A lookup under way.
#[derive(Debug)]
pub(crate) struct Lookup {
    result: mpsc::Receiver<io::Result<Vec<SocketAddr>>>,
    #[cfg(unix)]
    wake: mio::unix::pipe::Receiver,
}

impl Lookup {
    /// Starts resolving `host:port`; the answer is announced under `token`.
    pub(crate) fn start(host: &str, port: u16, registry: &Registry, token: Token) -> io::Result<Self> {
        let (tx, result) = mpsc::channel();
        #[cfg(unix)]
        let (mut wake_tx, mut wake) = mio::unix::pipe::new()?;
        #[cfg(unix)]
        registry.register(&mut wake, token, mio::Interest::READABLE)?;
        #[cfg(not(unix))]
        let _ = (registry, token);
        let host = host.to_owned();
        std::thread::Builder::new().name("sockettask-dns".into()).spawn(move || {
            let addrs = (host.as_str(), port).to_socket_addrs().map(Iterator::collect);
            let _ = tx.send(addrs);
            #[cfg(unix)]
            let _ = io::Write::write(&mut wake_tx, &[1]);
        })?;
        Ok(Lookup {
            result,
            #[cfg(unix)]
            wake,
        })
    }

    /// The answer, once there is one.
    pub(crate) fn answer(&self) -> Option<io::Result<Vec<SocketAddr>>> {
        match self.result.try_recv() {
            Ok(answer) => Some(answer),
            Err(mpsc::TryRecvError::Empty) => None,
            Err(mpsc::TryRecvError::Disconnected) => Some(Err(io::Error::other("resolver thread ended"))),
        }
    }

    /// Whether the driver must check back on a timer (no wake-up pipe on this platform).
    pub(crate) const fn needs_recheck() -> bool {
        cfg!(not(unix))
    }

    /// Stops announcing the answer.
    pub(crate) fn cancel(&mut self, registry: &Registry) {
        #[cfg(unix)]
        let _ = registry.deregister(&mut self.wake);
        #[cfg(not(unix))]
        let _ = registry;
    }
}
