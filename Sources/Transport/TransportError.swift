internal import CShims

/// Any failure of the transport: compression, decompression or HTTP.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure; new cases may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Value: Hashable, Sendable {
            case outOfMemory, usage, corrupt, truncated, tooLarge, zlib
            case resolve, connect, timeout, tls, send, receive, badURL, cancelled, curl
        }
        fileprivate let value: Value

        public static let outOfMemory = Code(value: .outOfMemory)
        /// A precondition of the API was broken (state or arguments).
        public static let usage = Code(value: .usage)
        /// Compressed input is not valid for its format.
        public static let corrupt = Code(value: .corrupt)
        /// Compressed input ends before its stream does.
        public static let truncated = Code(value: .truncated)
        /// Output would pass its cap (inflated body, response body).
        public static let tooLarge = Code(value: .tooLarge)
        public static let zlib = Code(value: .zlib)
        public static let resolve = Code(value: .resolve)
        public static let connect = Code(value: .connect)
        public static let timeout = Code(value: .timeout)
        public static let tls = Code(value: .tls)
        public static let send = Code(value: .send)
        public static let receive = Code(value: .receive)
        public static let badURL = Code(value: .badURL)
        public static let cancelled = Code(value: .cancelled)
        public static let curl = Code(value: .curl)

        public var description: String { "\(value)" }

        /// Whether the failure happened on the network, before or without an HTTP answer.
        public var isNetwork: Bool {
            switch value {
            case .resolve, .connect, .timeout, .tls, .send, .receive: true
            default: false
            }
        }
    }

    public let code: Code
    /// zlib's or libcurl's own code where one applies, else 0.
    public let libraryCode: Int
    public let message: String

    public init(code: Code, message: String, libraryCode: Int = 0) {
        self.code = code
        self.message = message
        self.libraryCode = libraryCode
    }

    init(_ error: eapm_error) {
        let message = withUnsafeBytes(of: error.message) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        self.init(code: Code(error.code), message: message, libraryCode: Int(error.library_code))
    }

    public var description: String { "\(code): \(message)" }
}

extension TransportError.Code {
    init(_ code: eapm_code) {
        switch code {
        case EAPM_ERR_NOMEM: self = .outOfMemory
        case EAPM_ERR_USAGE: self = .usage
        case EAPM_ERR_CORRUPT: self = .corrupt
        case EAPM_ERR_TRUNCATED: self = .truncated
        case EAPM_ERR_TOO_LARGE: self = .tooLarge
        case EAPM_ERR_ZLIB: self = .zlib
        case EAPM_ERR_RESOLVE: self = .resolve
        case EAPM_ERR_CONNECT: self = .connect
        case EAPM_ERR_TIMEOUT: self = .timeout
        case EAPM_ERR_TLS: self = .tls
        case EAPM_ERR_SEND: self = .send
        case EAPM_ERR_RECV: self = .receive
        case EAPM_ERR_BAD_URL: self = .badURL
        case EAPM_ERR_CANCELLED: self = .cancelled
        default: self = .curl
        }
    }
}

/// Runs a shim call that reports failure through an `eapm_error`.
@inline(__always)
func check(_ body: (UnsafeMutablePointer<eapm_error>) -> eapm_code) throws(TransportError) {
    var error = eapm_error()
    if body(&error) != EAPM_OK { throw TransportError(error) }
}
