//! Layers every request passes on its way to a handler: the credential guard of `/graphql`,
//! the limits (budgets, sizes, deadlines), and catching up on the caller's own writes.

pub mod guard;
pub mod limits;
pub mod read_your_writes;
