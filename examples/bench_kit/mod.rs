//! What the video benchmarks share (included with `#[path]`; each uses a part):
//! the machine's load, a process's memory, and videos made in the mock.

pub mod machine;
pub mod videos;
