package import Transport

/// Request bodies as agents send them: plain, gzip or deflate (zlib, or raw as some agents do).
package enum ContentDecoding {
    package struct Failure: Error, CustomStringConvertible {
        package let status: Int
        package let message: String
        package var description: String { message }
    }

    /// The body, inflated if `Content-Encoding` says so, never larger than `maxBytes`.
    package static func decode(_ body: [UInt8], contentEncoding: String?, maxBytes: Int, inflater: inout Inflater) throws(Failure) -> [UInt8] {
        let format: Inflater.Format
        switch contentEncoding?.lowercased().trimmingSpaces {
        case nil, "", "identity": return body
        case "gzip", "x-gzip": format = .gzip
        case "deflate":
            // HTTP's deflate is zlib-wrapped; some clients send it raw. The first byte tells.
            format = (body.first.map { $0 & 0x0F == 8 } ?? false) ? .zlib : .raw
        case let other?:
            throw Failure(status: 415, message: "unsupported Content-Encoding \"\(other)\"")
        }
        do {
            return try inflater.inflate(body, format: format, maxOutputBytes: maxBytes)
        } catch {
            if error.code == .tooLarge {
                throw Failure(status: 413, message: "inflated body exceeds \(maxBytes) bytes")
            }
            throw Failure(status: 400, message: "body could not be inflated: \(error.message)")
        }
    }
}
