//! The `tenantry` binary; everything it does lives in the library's `cli` module.

/// mimalloc rather than the system's malloc: a request allocates and frees many small objects
/// across the runtime's threads, where it spends a fraction of glibc's time and keeps the resident
/// set smaller after bursts. `just bench` measures both.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    tenantry::cli::main()
}
