#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// A local file read whole with POSIX calls (the extension links no Foundation): the extension's
/// CA file, `apm-upload`'s inputs.
public enum FileContents {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// The bytes of the file at `path`, or of standard input when `path` is nil.
    /// - Parameter limit: a larger file throws instead of filling memory.
    public static func read(_ path: String?, limit: Int = .max) throws(Failure) -> [UInt8] {
        let name = path ?? "stdin"
        let descriptor = path.map { open($0, O_RDONLY | O_CLOEXEC) } ?? STDIN_FILENO
        guard descriptor >= 0 else { throw Failure(description: "\(name): cannot open: \(String(cString: strerror(errno)))") }
        defer { if path != nil { close(descriptor) } }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { return bytes }
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "\(name): cannot read: \(String(cString: strerror(errno)))")
            }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > limit { throw Failure(description: "\(name): larger than \(limit) bytes") }
        }
    }
}
