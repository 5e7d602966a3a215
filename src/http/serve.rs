//! The server loop. `axum::serve` sets no timer on hyper, so a connection that never finishes
//! its headers, or idles between requests, stays open for ever, and it accepts connections until
//! the process runs out of descriptors (issue 19: 1,100 idle connections stopped the server
//! answering). Here every connection is HTTP/1 with hyper's header-read timeout (which also
//! closes a keep-alive connection idle that long), every request has a deadline (tower's
//! timeout, answered 408 problem+json), and at most `max_connections` are open at once: the
//! next waits in the kernel's backlog, holding no descriptor of ours, until one closes.

use super::problem_response;
use crate::app::AppError;
use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

/// The limits of the server loop.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Longest wait for a request's headers, counted from the connection's first byte or from
    /// the end of its previous answer (so also the keep-alive idle timeout).
    pub header_read: Duration,
    /// Longest a request may take, reading its body and answering included.
    pub request: Duration,
    /// Most connections open at once.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read: Duration::from_secs(10),
            // A 25 MiB upload over a slow county line, and its parse.
            request: Duration::from_secs(120),
            // Well under the usual 1,024 descriptors, leaving room for the database and files.
            max_connections: 512,
        }
    }
}

/// The router with the request deadline: past it the handler is dropped and the answer is 408.
pub fn with_deadline(router: Router, request: Duration) -> Router {
    router.layer(
        tower::ServiceBuilder::new()
            .layer(HandleErrorLayer::new(|_: tower::BoxError| async {
                problem_response(&AppError::RequestTimeout)
            }))
            .layer(tower::timeout::TimeoutLayer::new(request)),
    )
}

/// Serves `router` on `listener` within `limits` until `shutdown` completes, then lets open
/// requests finish (at most the request deadline). Each request carries the peer's address as
/// `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let router = with_deadline(router, limits.request);
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            s = slots.clone().acquire_owned() => s.expect("the slots are never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of descriptors, or the peer gave up: wait a little, then accept again.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = router.clone().map_request(
            move |mut req: axum::http::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                req.map(axum::body::Body::new)
            },
        );
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read)
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "connection ended");
            }
            drop(slot);
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(limits.request, graceful.shutdown()).await;
}

/// The peer of a request served by [`serve`].
pub fn peer_of(parts: &axum::http::request::Parts) -> Option<SocketAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0)
}

/// The peer of a request served by [`serve`], before it is split into parts.
pub fn peer_of_request(req: &axum::extract::Request) -> Option<SocketAddr> {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0)
}
