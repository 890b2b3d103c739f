//! `mock_video`: an OpenAI Videos API compatible upstream to run taskcenter against.
//!
//! `cargo run --release --example mock_video -- --listen 127.0.0.1:4100 --secret mock-secret`
//! then point an OpenAI video channel at `http://127.0.0.1:4100` with key `mock-secret`. The
//! mock lives in `crates/mock-upstreams` (also `cargo run -p mock-upstreams --bin mock_video`);
//! this example is the quickstart's way to start it.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    mock_upstreams::video::cli::main()
}
