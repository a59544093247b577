use std::process::ExitCode;

fn main() -> ExitCode {
    subaccounts::cli::main()
}
