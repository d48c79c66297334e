//! The embedded-io transport for `sockettask`: drives the core over `embedded-io` streams on constrained devices (work lands in its own issue).
#![no_std]
