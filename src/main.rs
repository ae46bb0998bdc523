fn main() -> std::process::ExitCode {
    uala::cli::main()
}
