internal import CShims

/// Decompresses whole request bodies with a hard cap on the output, so a decompression bomb is an
/// error rather than memory exhaustion. Reuses one zlib state (and output storage) across bodies,
/// which it owns: move it, never copy it.
public struct Inflater: ~Copyable {
    public enum Format: Sendable {
        /// RFC 1952, `Content-Encoding: gzip`.
        case gzip
        /// RFC 1950, `Content-Encoding: deflate` as HTTP defines it.
        case zlib
        /// RFC 1951 without a wrapper, which some clients send as "deflate".
        case raw
        /// gzip or zlib, told apart by the header.
        case automatic

        var shimFormat: eapm_inflate_format {
            switch self {
            case .gzip: EAPM_INFLATE_GZIP
            case .zlib: EAPM_INFLATE_ZLIB
            case .raw: EAPM_INFLATE_RAW
            case .automatic: EAPM_INFLATE_AUTO
            }
        }
    }

    private let state: OpaquePointer
    private var output = eapm_buffer()

    public init() throws(TransportError) {
        var error = eapm_error()
        guard let state = eapm_inflater_create(&error) else { throw TransportError(error) }
        self.state = state
    }

    deinit {
        var output = output
        eapm_buffer_free(&output)
        eapm_inflater_destroy(state)
    }

    /// Inflates one complete stream. Throws `.tooLarge` past `maxOutputBytes`, `.truncated` when
    /// the input stops early, `.corrupt` on invalid data or bytes after the stream.
    public mutating func inflate(
        _ input: UnsafeRawBufferPointer, format: Format, maxOutputBytes: Int
    ) throws(TransportError) -> [UInt8] {
        var error = eapm_error()
        let code = eapm_inflate(
            state, format.shimFormat, input.baseAddress?.assumingMemoryBound(to: UInt8.self), input.count,
            maxOutputBytes, &output, &error)
        guard code == EAPM_OK else { throw TransportError(error) }
        let result = Array(UnsafeBufferPointer(start: output.bytes, count: output.count))
        // Keep the storage for the next body unless a large one made it big.
        if output.capacity > 1 << 20 { eapm_buffer_free(&output) }
        return result
    }

    public mutating func inflate(_ input: [UInt8], format: Format, maxOutputBytes: Int) throws(TransportError) -> [UInt8] {
        try input.withUnsafeBufferPointer { (buffer) throws(TransportError) in
            try inflate(UnsafeRawBufferPointer(buffer), format: format, maxOutputBytes: maxOutputBytes)
        }
    }
}
