//! A warp server on its own thread and runtime, so that blocking tests and benchmarks can
//! start a mock without a runtime of their own.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::watch;
use warp::Filter;
use warp::reply::Response;

/// After shutdown starts, how long open requests (stalls) may still run.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(300);

/// A running server; it stops when dropped.
pub(crate) struct Server {
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Binds `addr` (e.g. `127.0.0.1:0`) and serves `routes` with `worker_threads` on a
    /// thread named `name`; returns once the port is bound, so clients may connect at once.
    pub(crate) fn start<F>(
        addr: &str,
        worker_threads: usize,
        name: &str,
        routes: F,
    ) -> io::Result<Server>
    where
        F: Filter<Extract = (Response,), Error = Infallible> + Clone + Send + Sync + 'static,
    {
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(worker_threads.max(1))
            .thread_name(name)
            .enable_all()
            .build()?;
        let (shutdown, signal) = watch::channel(false);
        let thread = std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || serve(runtime, listener, routes, signal))?;
        Ok(Server {
            addr,
            shutdown,
            thread: Some(thread),
        })
    }

    /// The bound address.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Hands a mock's shared state to a handler.
pub(crate) fn with_state<S: Send + Sync + 'static>(
    state: Arc<S>,
) -> impl Filter<Extract = (Arc<S>,), Error = Infallible> + Clone {
    warp::any().map(move || state.clone())
}

/// Runs the server until the signal, then gives open requests a short grace and drops them.
fn serve<F>(
    runtime: tokio::runtime::Runtime,
    listener: std::net::TcpListener,
    routes: F,
    signal: watch::Receiver<bool>,
) where
    F: Filter<Extract = (Response,), Error = Infallible> + Clone + Send + Sync + 'static,
{
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(listener) => listener,
            Err(err) => {
                log::error!("mock server cannot listen: {err}");
                return;
            }
        };
        let mut graceful = signal.clone();
        let server = warp::serve(routes)
            .incoming(listener)
            .graceful(async move {
                let _ = graceful.wait_for(|stop| *stop).await;
            })
            .run();
        let mut hard = signal;
        let deadline = async move {
            let _ = hard.wait_for(|stop| *stop).await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        };
        tokio::select! {
            _ = server => {}
            _ = deadline => {}
        }
    });
    runtime.shutdown_timeout(Duration::from_millis(100));
}
