#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    bounded_signer_witness::run::main()
}
