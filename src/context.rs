//! The one context the HTTP layer, the relay and the worker share.

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::Config;
use crate::clock::Clock;
use crate::health::Health;
use crate::metrics::Metrics;
use crate::platform::Platforms;
use crate::store::Store;

/// Store, platforms, settings and clock; cheap to clone.
#[derive(Clone)]
pub struct Context {
    /// The database (reading time from [`Context::clock`]).
    pub store: Store,
    /// Registered upstream platforms.
    pub platforms: Platforms,
    /// Settings of the server.
    pub config: Arc<Config>,
    /// Where every "now" comes from.
    pub clock: Arc<dyn Clock>,
    /// The channels' health, counted in memory (loaded from the store).
    pub health: Arc<Health>,
    /// Unix s when this context was made (the server's start).
    pub started_at: i64,
    /// A random id of this server run: idempotency claims it holds are
    /// told apart from those a crashed run left behind.
    pub instance: String,
    /// The service's metrics (the store's registry; recording only with
    /// `--metrics`).
    pub metrics: Arc<Metrics>,
    /// Permits for submissions in flight (`--max-inflight-submissions`):
    /// one is taken before a submission's first store call and held until
    /// its blocking work is done.
    pub submissions: Arc<Semaphore>,
}

impl Context {
    /// A context with the built-in platforms; the store is set to read
    /// time from `clock` too.
    pub fn new(store: Store, config: Config, clock: Arc<dyn Clock>) -> Context {
        let platforms = Platforms::builtin(&config.upstream_settings());
        Context::with_platforms(store, config, clock, platforms)
    }

    /// A context with the given platforms.
    pub fn with_platforms(
        store: Store,
        config: Config,
        clock: Arc<dyn Clock>,
        platforms: Platforms,
    ) -> Context {
        let health = Arc::new(Health::load(&store, config.channel_unhealthy_after));
        let metrics = store.metrics().clone();
        if config.metrics {
            metrics.enable(clock.now());
        }
        Context {
            health,
            submissions: Arc::new(Semaphore::new(config.max_inflight_submissions)),
            metrics,
            store: store
                .with_clock(clock.clone())
                .with_default_prices(&platforms.default_prices()),
            platforms,
            config: Arc::new(config),
            started_at: clock.now(),
            instance: crate::secrets::random_alphanumeric(16),
            clock,
        }
    }
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("config", &self.config)
            .field("started_at", &self.started_at)
            .finish_non_exhaustive()
    }
}
