// mimalloc: ingest allocates many small strings, and glibc malloc was a third of its time
// (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    uala::cli::main()
}
