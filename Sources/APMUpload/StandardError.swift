#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Diagnostics, verbose output and progress go to stderr, so stdout carries only the server's answers.
enum StandardError {
    /// Unbuffered, straight to the descriptor (the C `stderr` stream is shared mutable state).
    static func emit(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            var offset = 0
            while offset < utf8.count {
                let written = write(STDERR_FILENO, utf8.baseAddress! + offset, utf8.count - offset)
                if written < 0, errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }

    static func line(_ text: String) {
        emit(text + "\n")
    }

    static var isTerminal: Bool { isatty(STDERR_FILENO) == 1 }
}
