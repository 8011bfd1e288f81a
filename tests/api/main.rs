//! End-to-end tests: the real server on a random loopback port, a real database per test (SQLite,
//! and PostgreSQL when `TENANTRY_TEST_POSTGRES_URL` is set), talked to over HTTP.

mod helpers;

mod attacks;
mod audit;
mod auth;
mod branding;
mod cache_events;
mod cli;
mod conformance;
mod console;
mod contact;
mod custom_domains;
mod deployment;
mod faults;
mod graphql_http;
mod host_rules;
mod identity;
mod instances;
mod invitations;
mod limits;
mod openapi;
mod operator;
mod platform;
mod readme;
mod secrets_at_rest;
mod serve;
mod smtp_sink;
mod tenant_admin;
mod well_known;
