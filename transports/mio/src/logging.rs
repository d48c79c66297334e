//! The logging shim: `log_debug!`, `log_info!` and `log_warn!` go to the `log` facade with the `log`
//! feature, and are nothing without it (their arguments are type-checked, never evaluated).
//!
//! Only what the transport alone knows is logged here — name resolution, TCP connects, TLS
//! and I/O failures, buffer sizes; the core logs the task's own transitions (open, close,
//! errors) under its own `log` feature, which this one turns on. Never payload bytes.

#[cfg(feature = "log")]
macro_rules! log_debug {
    ($($arg:tt)+) => { ::log::debug!($($arg)+) };
}

#[cfg(feature = "log")]
macro_rules! log_info {
    ($($arg:tt)+) => { ::log::info!($($arg)+) };
}

#[cfg(feature = "log")]
macro_rules! log_warn {
    ($($arg:tt)+) => { ::log::warn!($($arg)+) };
}

#[cfg(not(feature = "log"))]
macro_rules! log_debug {
    ($($arg:tt)+) => {
        if false {
            $crate::logging::off(::core::format_args!($($arg)+))
        }
    };
}

#[cfg(not(feature = "log"))]
macro_rules! log_info {
    ($($arg:tt)+) => {
        if false {
            $crate::logging::off(::core::format_args!($($arg)+))
        }
    };
}

#[cfg(not(feature = "log"))]
macro_rules! log_warn {
    ($($arg:tt)+) => {
        if false {
            $crate::logging::off(::core::format_args!($($arg)+))
        }
    };
}

pub(crate) use {log_debug, log_info, log_warn};

/// Where a log line goes without the `log` feature: nowhere, behind an `if false`, so the
/// line's arguments are type-checked and never evaluated.
#[cfg(not(feature = "log"))]
pub(crate) fn off(_: core::fmt::Arguments<'_>) {}
