/// Training allocates and frees buffers of megabytes every step; the system allocator hands
/// them back to the kernel and takes page faults to get them again, mimalloc keeps them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    deepmidi_cli::commands::main()
}
