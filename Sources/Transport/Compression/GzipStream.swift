internal import CShims

/// A streaming gzip encoder: bytes are deflated as they are written, so finishing a batch only
/// writes the stream's tail. `reset()` starts a new stream on the same zlib state and storage.
/// It owns its zlib state, which goes with it: move it, never copy it.
public struct GzipStream: ~Copyable {
    private let encoder: OpaquePointer
    /// Uncompressed bytes written since the last reset.
    public private(set) var inputCount = 0
    private var finished = false

    /// - Parameter level: zlib level 0-9; 1 favours speed, which is what a Lambda wants.
    public init(level: Int = 1) throws(TransportError) {
        guard (-1...9).contains(level) else { throw TransportError(code: .usage, message: "gzip level \(level) is not in -1...9") }
        var error = eapm_error()
        guard let encoder = eapm_gzip_create(Int32(level), &error) else { throw TransportError(error) }
        self.encoder = encoder
    }

    deinit { eapm_gzip_destroy(encoder) }

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws(TransportError) {
        guard !finished else { throw TransportError(code: .usage, message: "write after finish; reset first") }
        let encoder = encoder
        try check { eapm_gzip_write(encoder, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count, $0) }
        inputCount += bytes.count
    }

    public mutating func write(_ bytes: [UInt8]) throws(TransportError) {
        try bytes.withUnsafeBufferPointer { (buffer) throws(TransportError) in try write(UnsafeRawBufferPointer(buffer)) }
    }

    public mutating func write(_ text: String) throws(TransportError) {
        var text = text
        // withUTF8 only rethrows untyped errors: carry the typed one out in a Result.
        let result = text.withUTF8 { utf8 in Result { () throws(TransportError) in try write(UnsafeRawBufferPointer(utf8)) } }
        try result.get()
    }

    /// Ends the stream; the output is then a complete gzip member.
    public mutating func finish() throws(TransportError) {
        guard !finished else { return }
        let encoder = encoder
        try check { eapm_gzip_finish(encoder, $0) }
        finished = true
    }

    /// Starts a new stream, dropping the output.
    public mutating func reset() throws(TransportError) {
        let encoder = encoder
        try check { eapm_gzip_reset(encoder, $0) }
        inputCount = 0
        finished = false
    }

    /// Compressed bytes produced so far (the tail is missing until `finish()`).
    public var outputCount: Int {
        var count = 0
        _ = eapm_gzip_output(encoder, &count)
        return count
    }

    /// Lends the compressed bytes; the pointer is valid only inside `body`.
    public func withOutput<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        var count = 0
        let bytes = eapm_gzip_output(encoder, &count)
        return try body(UnsafeRawBufferPointer(start: bytes, count: count))
    }

    /// A copy of the compressed bytes.
    public var output: [UInt8] { withOutput { Array($0) } }
}
