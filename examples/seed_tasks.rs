//! Fills a database file with a realistic task history, for the list
//! benchmarks (`examples/bench_lists.rs`, BENCHMARKS.md).
//!
//! ```text
//! cargo run --release --example seed_tasks -- --db /tmp/tc-bench/tasks.db \
//!     --tasks 1000000 --users 1000 --channels 8
//! ```
//!
//! Users are created through [`Store::create_user`] and their access tokens
//! written to `--tokens-out` (default: `<db>.tokens.json`) so the benchmark
//! can authenticate as any of them; root gets `--root-token`. Tasks go in
//! through [`Store::insert_tasks_raw`], one transaction per batch, oldest
//! first, so ids grow with submit time as they do in a live system.
//!
//! A database with channels or users other than root and earlier seeds'
//! is refused, `--append` or not ([`Store::check_seedable`]): seeded tasks
//! in flight carry no charge, and a worker would refund them.

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use serde_json::{Value, json};
use taskcenter::clock::{Clock, SystemClock};
use taskcenter::domain::TaskStatus;
use taskcenter::store::Store;
use taskcenter::store::seeding::seed_username;
use taskcenter::store::tasks::NewTask;
use taskcenter::store::users::NewUser;

/// Seeds tasks over users into a database file.
#[derive(Debug, Parser)]
struct Args {
    /// Database file (created; must not already hold tasks unless --append,
    /// and never channels or users other than root and earlier seeds').
    #[arg(long)]
    db: PathBuf,
    /// Number of tasks.
    #[arg(long, default_value_t = 1_000_000)]
    tasks: u64,
    /// Number of common users (root comes on top).
    #[arg(long, default_value_t = 1_000)]
    users: u64,
    /// Number of channels tasks are spread over (ids 1..=N).
    #[arg(long, default_value_t = 8)]
    channels: u64,
    /// Days of history the submit times cover, ending now.
    #[arg(long, default_value_t = 90)]
    days: u64,
    /// Rows per transaction.
    #[arg(long, default_value_t = 20_000)]
    batch: usize,
    /// Root's access token (long enough for `taskcenter serve --root-token`).
    #[arg(long, default_value = "bench-root-token-0123456789abcdef")]
    root_token: String,
    /// Where the users' ids and tokens are written (JSON).
    #[arg(long)]
    tokens_out: Option<PathBuf>,
    /// Seed of the pseudo-random generator (same seed, same history).
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Add to a database that already holds tasks.
    #[arg(long)]
    append: bool,
    /// Run ANALYZE at the end. Off by default: a deployed database has no
    /// statistics unless someone runs it, and the lists must be fast without.
    #[arg(long)]
    analyze: bool,
}

/// splitmix64: small, fast and good enough to spread synthetic data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 > 1.0 - p
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
    fn alnum(&mut self, len: usize) -> String {
        const A: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        (0..len)
            .map(|_| A[self.below(A.len() as u64) as usize] as char)
            .collect()
    }
    fn uuid(&mut self) -> String {
        let h = format!("{:016x}{:016x}", self.next(), self.next());
        format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }
}

const STYLES: &[&str] = &[
    "lo-fi hip hop, mellow, rainy night",
    "epic orchestral, cinematic, choir",
    "synthwave, retro, 80s, driving bass",
    "acoustic folk, warm vocals, guitar",
    "k-pop, upbeat, catchy chorus",
    "jazz, smoky bar, saxophone solo",
    "drum and bass, energetic, rolling",
    "ambient, ethereal pads, slow",
];
const WORDS: &[&str] = &[
    "midnight", "river", "neon", "heart", "summer", "city", "echo", "golden", "road", "dream",
    "ocean", "fire", "silver", "rain", "light", "shadow", "home", "wild", "star", "song",
];
const FAIL_REASONS: &[&str] = &[
    "upstream error: content policy violation",
    "upstream error: generation timed out",
    "task timed out after 3600s without a final status",
    "upstream error: insufficient credits on channel",
];

fn phrase(rng: &mut Rng, n: usize) -> String {
    (0..n)
        .map(|_| rng.pick(WORDS))
        .collect::<Vec<_>>()
        .join(" ")
}

/// What a user asked for: the submit body new-api records (~250-450 bytes).
fn suno_properties(rng: &mut Rng, action: &str) -> Value {
    if action == "LYRICS" {
        return json!({"prompt": format!("a song about {}", phrase(rng, 6))});
    }
    json!({
        "prompt": format!("[Verse]\n{}\n{}\n[Chorus]\n{}", phrase(rng, 8), phrase(rng, 8), phrase(rng, 6)),
        "mv": rng.pick(&["chirp-v3-5", "chirp-v4", "chirp-v3-0"]),
        "title": phrase(rng, 3),
        "tags": rng.pick(STYLES),
        "make_instrumental": rng.chance(0.1),
        "continue_clip_id": "",
    })
}

/// One clip of a finished Suno music job (~350 bytes; a job has two).
fn suno_clip(rng: &mut Rng, props: &Value, created: i64) -> Value {
    let id = rng.uuid();
    json!({
        "id": id,
        "audio_url": format!("https://cdn1.suno.ai/{id}.mp3"),
        "video_url": format!("https://cdn1.suno.ai/{id}.mp4"),
        "image_url": format!("https://cdn2.suno.ai/image_{id}.jpeg"),
        "model_name": "chirp-v4",
        "title": props.get("title").cloned().unwrap_or(Value::Null),
        "tags": props.get("tags").cloned().unwrap_or(Value::Null),
        "duration": 120.0 + rng.below(120) as f64 + 0.48,
        "created_at": created,
        "status": "complete",
    })
}

fn video_properties(rng: &mut Rng) -> Value {
    json!({
        "prompt": format!("a cinematic shot of {}, golden hour, 35mm", phrase(rng, 10)),
        "model": rng.pick(&["kling-v1-6", "kling-v2"]),
        "duration": rng.pick(&["5", "10"]),
        "aspect_ratio": rng.pick(&["16:9", "9:16", "1:1"]),
        "mode": "std",
    })
}

fn video_data(rng: &mut Rng) -> Value {
    let id = rng.uuid();
    json!({
        "task_id": id,
        "task_status": "succeed",
        "task_result": {"videos": [{
            "id": rng.uuid(),
            "url": format!("https://cdn.klingai.com/bs2/upload-kling-api/{}/{id}.mp4", rng.alnum(12)),
            "duration": "5.1",
        }]},
    })
}

/// One synthetic task submitted at `submit`, `age_s` seconds before now.
fn make_task(rng: &mut Rng, args: &Args, user_ids: &[i64], submit: i64, age_s: i64) -> NewTask {
    // 80% of tasks come from the busiest 20% of users.
    let heavy = (user_ids.len() / 5).max(1);
    let user_id = if rng.chance(0.8) || heavy == user_ids.len() {
        user_ids[rng.below(heavy as u64) as usize]
    } else {
        user_ids[heavy + rng.below((user_ids.len() - heavy) as u64) as usize]
    };
    let (platform, action) = if rng.chance(0.85) {
        ("suno", if rng.chance(0.8) { "MUSIC" } else { "LYRICS" })
    } else {
        (rng.pick(&["kling", "kling", "runway"]), "GENERATE")
    };
    // The last hour still has work in flight; older tasks are all final
    // but for a few stuck UNKNOWN ones.
    let status = if age_s < 3_600 && rng.chance(0.5) {
        *[
            TaskStatus::NotStart,
            TaskStatus::Submitted,
            TaskStatus::Queued,
            TaskStatus::InProgress,
            TaskStatus::InProgress,
        ]
        .get(rng.below(5) as usize)
        .unwrap_or(&TaskStatus::Submitted)
    } else if rng.chance(0.0005) {
        TaskStatus::Unknown
    } else if rng.chance(0.1) {
        TaskStatus::Failure
    } else {
        TaskStatus::Success
    };
    let properties = if platform == "suno" {
        suno_properties(rng, action)
    } else {
        video_properties(rng)
    };
    let start = submit + 1 + rng.below(5) as i64;
    let finish = if status.is_final() {
        start + 20 + rng.below(200) as i64
    } else {
        0
    };
    let data = match (status, platform, action) {
        (TaskStatus::Success, "suno", "MUSIC") => {
            json!([
                suno_clip(rng, &properties, submit),
                suno_clip(rng, &properties, submit)
            ])
        }
        (TaskStatus::Success, "suno", _) => json!({
            "id": rng.uuid(),
            "text": format!("[Verse]\n{}\n{}\n[Chorus]\n{}", phrase(rng, 8), phrase(rng, 8), phrase(rng, 6)),
            "title": phrase(rng, 3),
            "status": "complete",
        }),
        (TaskStatus::Success, _, _) => video_data(rng),
        _ => json!({}),
    };
    let channel_id = 1 + rng.below(args.channels.max(1)) as i64;
    NewTask {
        task_id: String::new(),
        platform: platform.to_string(),
        user_id,
        channel_id,
        quota: if action == "LYRICS" { 2_000 } else { 50_000 },
        action: action.to_string(),
        status,
        fail_reason: if status == TaskStatus::Failure {
            rng.pick(FAIL_REASONS).to_string()
        } else {
            String::new()
        },
        submit_time: submit,
        start_time: if status == TaskStatus::NotStart {
            0
        } else {
            start
        },
        finish_time: finish,
        progress: status.default_progress().to_string(),
        properties,
        data,
        upstream_task_id: rng.uuid(),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let started = Instant::now();
    let store = Store::open(&args.db)?;
    // Before anything is written (root's token included): a live database
    // is refused, with or without --append.
    store
        .check_seedable()
        .map_err(|e| format!("{}: {e}", args.db.display()))?;
    store.ensure_root(Some(&args.root_token))?;

    let existing: i64 = store
        .conn()?
        .query_row("SELECT COUNT(*) FROM tasks", [], |r| r.get(0))?;
    if existing > 0 && !args.append {
        return Err(format!(
            "{} already holds {existing} tasks (use --append or a new file)",
            args.db.display()
        )
        .into());
    }

    let mut users = Vec::with_capacity(args.users as usize);
    // Milliseconds: two runs within one second (an --append right after
    // the first) still name their users apart.
    let run = SystemClock.now_ms();
    for i in 0..args.users {
        let (user, token) = store.create_user(&NewUser {
            username: seed_username(run, i),
            quota: 10_000_000,
            ..Default::default()
        })?;
        users.push(json!({"id": user.id, "token": token}));
    }
    let user_ids: Vec<i64> = users.iter().filter_map(|u| u["id"].as_i64()).collect();
    let tokens_out = args.tokens_out.clone().unwrap_or_else(|| {
        let mut p = args.db.clone().into_os_string();
        p.push(".tokens.json");
        PathBuf::from(p)
    });
    std::fs::write(
        &tokens_out,
        serde_json::to_string_pretty(&json!({
            "root": {"id": 1, "token": args.root_token},
            "users": users,
        }))?,
    )?;
    eprintln!(
        "{} users created in {:.1}s; tokens in {}",
        user_ids.len(),
        started.elapsed().as_secs_f64(),
        tokens_out.display()
    );
    if user_ids.is_empty() {
        return Err("--users must be at least 1".into());
    }

    let mut rng = Rng(args.seed);
    let now = SystemClock.now();
    let span = (args.days * 86_400) as i64;
    let first = now - span;
    let n = args.tasks;
    let seeding = Instant::now();
    let mut batch = Vec::with_capacity(args.batch);
    let mut done = 0u64;
    let mut bytes = 0usize;
    for i in 0..n {
        // Evenly spread with jitter; ids still grow with time.
        let submit = first + ((i as i128 * span as i128) / n.max(1) as i128) as i64;
        let task = make_task(&mut rng, &args, &user_ids, submit, now - submit);
        bytes += task.properties.to_string().len() + task.data.to_string().len();
        batch.push(task);
        if batch.len() == args.batch || i + 1 == n {
            store.insert_tasks_raw(&batch)?;
            done += batch.len() as u64;
            batch.clear();
            if done % 100_000 < args.batch as u64 || done == n {
                eprintln!(
                    "{done}/{n} tasks, {:.0} rows/s",
                    done as f64 / seeding.elapsed().as_secs_f64()
                );
            }
        }
    }
    let seed_s = seeding.elapsed().as_secs_f64();
    let analyze = Instant::now();
    if args.analyze {
        store.conn()?.execute_batch("ANALYZE;")?;
    }
    let analyze_s = analyze.elapsed().as_secs_f64();
    let size = std::fs::metadata(&args.db).map(|m| m.len()).unwrap_or(0);
    println!(
        "seeded {n} tasks over {} users in {seed_s:.1}s ({:.0} rows/s), ANALYZE {analyze_s:.1}s, \
         total {:.1}s; avg properties+data {} bytes; file {:.0} MiB",
        user_ids.len(),
        n as f64 / seed_s,
        started.elapsed().as_secs_f64(),
        bytes / n.max(1) as usize,
        size as f64 / (1 << 20) as f64
    );
    Ok(())
}
