import Transport

/// Encodes an agent's request body as its `Content-Encoding` says.
enum AgentCompressor {
    static func encode(_ body: [UInt8], as compression: AgentCompression) throws -> [UInt8] {
        switch compression {
        case .none:
            return body
        case .gzip:
            return try gzip(body)
        case .deflate:
            return try zlib(body)
        }
    }

    private static func gzip(_ body: [UInt8]) throws -> [UInt8] {
        var stream = try GzipStream(level: 6)
        try stream.write(body)
        try stream.finish()
        return stream.output
    }

    /// HTTP's `deflate` is a zlib stream. The transport only writes gzip, and both wrap the same
    /// raw deflate data: swap gzip's 10-byte header and CRC/size trailer for zlib's header and
    /// Adler-32 trailer.
    private static func zlib(_ body: [UInt8]) throws -> [UInt8] {
        let member = try gzip(body)
        // Flags 0: no optional header fields, so the deflate data starts at byte 10.
        guard member.count >= 18, member[0] == 0x1F, member[1] == 0x8B, member[3] == 0 else {
            throw SimulatorError(.agentFailed, "unexpected gzip header from GzipStream")
        }
        var output: [UInt8] = [0x78, 0x9C]
        output.append(contentsOf: member[10..<(member.count - 8)])
        let checksum = adler32(body)
        output.append(contentsOf: [UInt8(checksum >> 24), UInt8(checksum >> 16 & 0xFF), UInt8(checksum >> 8 & 0xFF), UInt8(checksum & 0xFF)])
        return output
    }

    static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in bytes {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return b << 16 | a
    }
}
