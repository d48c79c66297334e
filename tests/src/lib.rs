//! Integration tests of sockettask against real peers (work lands in its own issue).
