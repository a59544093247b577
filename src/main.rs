use std::process::ExitCode;

// mimalloc serves the many small allocations of request handling with less
// contention between threads than the system allocator; see BENCHMARKS.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    subaccounts::cli::main()
}
