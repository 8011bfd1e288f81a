//! The listener: accepts connections and serves the router on each, HTTP/1 or HTTP/2.
//!
//! `axum::serve` sets no timer, so a client that trickles header lines (or holds an idle
//! keep-alive connection) keeps its connection as long as it likes, and the request deadline
//! only starts once the headers are in. Here hyper's connection builder runs with a timer: the
//! headers of each request must arrive within `header_read_timeout` (hyper starts that clock when
//! it waits for a request head, so an idle keep-alive connection is closed after it too), and
//! HTTP/2 connections are pinged and dropped when the peer stops answering. Each request carries
//! the peer's address (`ConnectInfo`), upgrades (WebSockets) work, and a shutdown lets the
//! requests in flight finish.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::Layer;

/// How long a shutdown waits for the requests in flight before it closes their connections.
const DRAIN: Duration = Duration::from_secs(30);

pub async fn serve(
    listener: TcpListener,
    app: Router,
    header_read_timeout: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(header_read_timeout))
        .keep_alive_timeout(header_read_timeout);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(error = %err, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = axum::Extension(ConnectInfo(peer)).layer(app.clone());
        let (builder, watcher) = (builder.clone(), graceful.watcher());
        tokio::spawn(async move {
            // A client that connects and says nothing is closed too: the HTTP/1 clock starts only
            // once the protocol is known, which takes a first byte.
            let mut first = [0u8; 1];
            if !matches!(
                tokio::time::timeout(header_read_timeout, stream.peek(&mut first)).await,
                Ok(Ok(1..))
            ) {
                return;
            }
            let connection = builder.serve_connection_with_upgrades(
                TokioIo::new(stream),
                TowerToHyperService::new(service),
            );
            if let Err(err) = watcher.watch(connection.into_owned()).await {
                tracing::debug!(error = %err, %peer, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after {DRAIN:?}; closing their connections");
    }
    Ok(())
}
