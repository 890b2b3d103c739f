//! `mock_suno`: a Suno-API compatible upstream to run taskcenter against.
//!
//! `cargo run --release --example mock_suno -- --listen 127.0.0.1:4000 --secret mock-secret`
//! then point a `suno` channel at `http://127.0.0.1:4000` with key `mock-secret`. The mock
//! lives in `crates/mock-upstreams` (also `cargo run -p mock-upstreams --bin mock_suno`);
//! this example keeps the quickstart's command working.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    mock_upstreams::suno::cli::main()
}
