//! Layers every request passes on its way to a handler: the credential guard of `/graphql`,
//! the limits (budgets, sizes, deadlines), and catching up on the caller's own writes.
//!
//! Each route gets one layer ([`every_route`]) and `/graphql` one more ([`graphql`]) that call
//! these in order, rather than a layer per concern: a layer wrapped around a route costs every
//! request a boxed clone of the route and a boxed future, whatever it checks.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::metrics::Tracking;
use crate::state::AppState;

pub mod guard;
pub mod limits;
pub mod read_your_writes;

/// What every route's requests pass: counted by route and status (refusals included), held to
/// the header size and the deadline, and answered once this instance has applied the request's own
/// cache events.
pub async fn every_route(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let tracking = Tracking::start(&req);
    let response = match limits::header_size(&state, &req) {
        Ok(()) => {
            let work = read_your_writes::catch_up(&state, next.run(req));
            limits::deadline(&state, work).await
        }
        Err(refused) => refused.into_response(),
    };
    state.metrics.track(tracking, &response);
    response
}

/// `/graphql`'s own: the body-size limit, then the credential guard; every answer, refusals
/// included, then says how it may be cached.
pub async fn graphql(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let credentialed = super::graphql::credentialed(req.headers());
    let mut response = match limits::whole_body(&state, req).await {
        Ok(req) => guard::authenticate(&state, req, next).await,
        Err(refused) => refused.into_response(),
    };
    super::graphql::mark(&mut response, credentialed);
    response
}
