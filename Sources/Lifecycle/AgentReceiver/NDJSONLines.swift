#if canImport(Glibc)
import Glibc
#endif

/// The lines of an ndjson body, without their line ends ("\n" or "\r\n"), found with `memchr`
/// (splitting with a closure per byte cost more than checking the JSON, Benchmarks/ANALYSIS.md).
struct NDJSONLines: Sequence, IteratorProtocol {
    private let body: UnsafeBufferPointer<UInt8>
    private var start = 0

    init(_ body: UnsafeBufferPointer<UInt8>) {
        self.body = body
    }

    mutating func next() -> UnsafeBufferPointer<UInt8>? {
        guard start < body.count, let base = body.baseAddress else { return nil }
        let end = memchr(base + start, 0x0A, body.count - start).map { UnsafeRawPointer($0) - UnsafeRawPointer(base) } ?? body.count
        var lineEnd = end
        if lineEnd > start, body[lineEnd - 1] == 0x0D { lineEnd -= 1 }
        defer { start = end + 1 }
        return UnsafeBufferPointer(rebasing: body[start..<lineEnd])
    }
}

extension [UInt8] {
    /// Whether `line` holds these bytes (`memcmp`).
    func hasSameBytes(as line: UnsafeBufferPointer<UInt8>) -> Bool {
        guard count == line.count else { return false }
        guard count > 0 else { return true } // an empty one may have no address
        return withUnsafeBufferPointer { memcmp($0.baseAddress!, line.baseAddress!, count) == 0 }
    }
}
