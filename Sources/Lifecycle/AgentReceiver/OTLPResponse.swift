import HTTPServer
/// The answers of the OTLP/HTTP export paths, as the OTLP/HTTP specification defines them: an
/// empty `Export…ServiceResponse` on success, a `google.rpc.Status` on failure, each in the
/// encoding of the request (protobuf; JSON only to say that JSON is not taken).
enum OTLPResponse {
    static let protobufContentType = "application/x-protobuf"

    /// An empty protobuf message is zero bytes: the full success of an export.
    static var success: ServerResponse {
        ServerResponse(status: 200, headers: ["Content-Type": protobufContentType])
    }

    /// `google.rpc.Status` with `code` (field 1, varint) and `message` (field 2, string), in protobuf.
    static func failure(_ status: Int, _ message: String) -> ServerResponse {
        let text = Array(message.utf8)
        let body = [0x08] + varint(UInt64(statusCode(for: status))) + [0x12] + varint(UInt64(text.count)) + text
        return ServerResponse(status: status, headers: ["Content-Type": protobufContentType], body: body)
    }

    /// The same `Status` in OTLP/JSON's encoding, for a client that sent JSON.
    static func jsonFailure(_ status: Int, _ message: String) -> ServerResponse {
        let body: JSONBody = ["code": .number(Double(statusCode(for: status))), "message": .string(message)]
        return ServerResponse(status: status, headers: ["Content-Type": "application/json"], body: body.bytes)
    }

    /// The gRPC code closest to an HTTP client error: 3 (INVALID_ARGUMENT), 8 (RESOURCE_EXHAUSTED)
    /// for a body too large, 12 (UNIMPLEMENTED) for a method not served.
    private static func statusCode(for status: Int) -> Int {
        switch status {
        case 413: 8
        case 405: 12
        default: 3
        }
    }

    private static func varint(_ value: UInt64) -> [UInt8] {
        var value = value
        var bytes: [UInt8] = []
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
        return bytes
    }
}
