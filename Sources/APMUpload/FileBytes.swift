#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Reads a file, or stdin for `-`, whole, with POSIX calls (no Foundation needed for this).
enum FileBytes {
    static let stdinPath = "-"

    /// Whether stdin is a terminal: reading it then waits for someone to type.
    static var stdinIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    /// The name messages use: the path, or `stdin`.
    static func displayName(_ path: String) -> String { path == stdinPath ? "stdin" : path }

    static func contents(of path: String, limit: Int = .max) throws(UploadFailure) -> [UInt8] {
        let descriptor = path == stdinPath ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw UploadFailure(.usage, "\(path): cannot open: \(String(cString: strerror(errno)))")
        }
        defer { if descriptor != STDIN_FILENO { close(descriptor) } }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { return bytes }
            if count < 0 {
                if errno == EINTR { continue }
                throw UploadFailure(.usage, "\(displayName(path)): cannot read: \(String(cString: strerror(errno)))")
            }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > limit {
                throw UploadFailure(.usage, "\(displayName(path)): larger than \(limit) bytes")
            }
        }
    }
}
