use std::process::ExitCode;

// mimalloc serves the many small allocations of request handling with less
// contention between threads than the system allocator. Its `no_thp` feature
// keeps it from asking for transparent huge pages, which more than doubled the
// server's resident memory; see BENCHMARKS.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    subaccounts::cli::main()
}
