//! A request that changed cached state answers only after this instance has applied the cache
//! events of the change, so the caller's next request (to this instance) sees what it wrote. Other
//! instances hear of it through `NOTIFY` or their poll.

use axum::response::Response;

use crate::cache::events;
use crate::state::AppState;

/// `work`'s answer, once this instance has applied the cache events `work` recorded.
pub async fn catch_up(state: &AppState, work: impl Future<Output = Response>) -> Response {
    let before = events::recorded();
    let response = work.await;
    // Counted per process: another request's write may trigger this too, which costs one read.
    if events::recorded() != before {
        state.catch_up().await;
    }
    response
}
