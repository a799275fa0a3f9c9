fn main() -> std::process::ExitCode {
    deepmidi_cli::commands::main()
}
