//! The mio + rustls transport for `sockettask`: sockets, TLS, clock and buffers around the sans-IO core (work lands in its own issue).
