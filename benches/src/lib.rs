//! Benchmarks of sockettask side by side with other WebSocket crates (work lands in its own issue).
