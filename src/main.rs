//! The `platform-desk` binary: everything lives in the library; see `cli`.

fn main() -> std::process::ExitCode {
    platform_desk::cli::main()
}
