//! `mock_video`: an OpenAI Videos API compatible upstream to run taskcenter against.
//!
//! `cargo run -p mock-upstreams --bin mock_video -- --listen 127.0.0.1:4100 --secret mock-secret`
//! then point an OpenAI video channel at `http://127.0.0.1:4100` with key `mock-secret`.
//! Faults are switched at run time over `POST /mock/fault`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    mock_upstreams::video::cli::main()
}
