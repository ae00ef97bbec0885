import Transport

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Reads a file, or stdin for `-`, whole (`Transport.FileContents`).
enum FileBytes {
    static let stdinPath = "-"

    /// Whether stdin is a terminal: reading it then waits for someone to type.
    static var stdinIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    /// The name messages use: the path, or `stdin`.
    static func displayName(_ path: String) -> String { path == stdinPath ? "stdin" : path }

    static func contents(of path: String, limit: Int = .max) throws(UploadFailure) -> [UInt8] {
        do {
            return try FileContents.read(path == stdinPath ? nil : path, limit: limit)
        } catch {
            throw UploadFailure(.usage, error.description)
        }
    }
}
