fn main() -> std::process::ExitCode {
    deepmidi::cli::main()
}
