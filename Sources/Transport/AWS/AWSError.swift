/// A failed call to an AWS service (Secrets Manager, Certificate Manager): what kind of failure,
/// what the service or the transport said. Never carries a secret value.
public struct AWSError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure; new cases may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Value: Hashable, Sendable {
            case missingCredentials, missingRegion, transport, timeout, service, malformedResponse
        }
        fileprivate let value: Value

        /// `AWS_ACCESS_KEY_ID` or `AWS_SECRET_ACCESS_KEY` is not set.
        public static let missingCredentials = Code(value: .missingCredentials)
        /// `AWS_REGION` (or `AWS_DEFAULT_REGION`) is not set.
        public static let missingRegion = Code(value: .missingRegion)
        /// No HTTP answer: resolve, connect, TLS, reset.
        public static let transport = Code(value: .transport)
        /// The call did not finish within its timeout or deadline.
        public static let timeout = Code(value: .timeout)
        /// The service answered with an error (`__type` and message in `serviceErrorType`, `message`).
        public static let service = Code(value: .service)
        /// A 2xx answer without the expected fields.
        public static let malformedResponse = Code(value: .malformedResponse)

        public var description: String {
            switch value {
            case .missingCredentials: "missing credentials"
            case .missingRegion: "missing region"
            case .transport: "transport"
            case .timeout: "timeout"
            case .service: "service error"
            case .malformedResponse: "malformed response"
            }
        }
    }

    public let code: Code
    public let message: String
    /// The HTTP status of the answer, when there was one.
    public let status: Int?
    /// The service's error type (`ResourceNotFoundException`, …), when it gave one.
    public let serviceErrorType: String?
    /// The transport's failure, for `.transport` and `.timeout`.
    public let underlying: TransportError?

    public init(
        code: Code, message: String, status: Int? = nil, serviceErrorType: String? = nil, underlying: TransportError? = nil
    ) {
        self.code = code
        self.message = message
        self.status = status
        self.serviceErrorType = serviceErrorType
        self.underlying = underlying
    }

    public var description: String {
        var text = "\(code)"
        if let status { text += " (HTTP \(status))" }
        if let serviceErrorType { text += " \(serviceErrorType)" }
        return text + ": " + message
    }
}
