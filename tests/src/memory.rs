//! The process's memory as Linux reports it in `/proc/self/status`.

/// Peak resident set (`VmHWM`) in KiB; `None` where `/proc` is missing.
pub fn peak_rss_kib() -> Option<u64> {
    status_kib("VmHWM:")
}

/// Current resident set (`VmRSS`) in KiB; `None` where `/proc` is missing.
pub fn rss_kib() -> Option<u64> {
    status_kib("VmRSS:")
}

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.trim_start_matches(field).trim().trim_end_matches("kB").trim().parse().ok()
}
