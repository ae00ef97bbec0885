/// One HTTP request as the transport sends it.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: HTTPFields
    public var body: [UInt8]
    /// Bounds each attempt (connect, send, answer); `.zero`: no bound (a long poll).
    public var timeout: Duration
    /// Bounds the connect phase of each attempt; nil: only `timeout` applies.
    public var connectTimeout: Duration?
    /// Bounds all attempts and the waits between them.
    public var deadline: Deadline?
    /// A larger response body fails the request with `.tooLarge`.
    public var maxResponseBytes: Int
    public var retry: RetryPolicy
    /// Sign with AWS SigV4.
    public var awsSigning: AWSSigning?

    public init(
        method: String = "GET", url: String, headers: HTTPFields = [:], body: [UInt8] = [],
        timeout: Duration = .seconds(3), connectTimeout: Duration? = nil, deadline: Deadline? = nil,
        maxResponseBytes: Int = 1 << 20, retry: RetryPolicy = .none, awsSigning: AWSSigning? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.deadline = deadline
        self.maxResponseBytes = maxResponseBytes
        self.retry = retry
        self.awsSigning = awsSigning
    }
}

/// Retry with exponential backoff and jitter, for failures before any response (refused, reset,
/// connect timeout) and for 429/503 (honouring `Retry-After`); never past the request's deadline.
public struct RetryPolicy: Sendable, Hashable {
    /// 1: no retry.
    public var maxAttempts: Int
    public var initialDelay: Duration
    public var maxDelay: Duration
    /// 0.1: each wait varies by up to ±10 %.
    public var jitter: Double
    /// Whether 429 and 503 answers are retried too (false: only failures before any answer).
    public var retriesUnavailable: Bool

    public init(
        maxAttempts: Int, initialDelay: Duration = .milliseconds(100), maxDelay: Duration = .seconds(5), jitter: Double = 0.1,
        retriesUnavailable: Bool = true
    ) {
        self.maxAttempts = maxAttempts
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.jitter = jitter
        self.retriesUnavailable = retriesUnavailable
    }

    public static let none = RetryPolicy(maxAttempts: 1)
}

/// AWS Signature Version 4 for one service and region.
public struct AWSSigning: Sendable {
    public var credentials: AWSCredentials
    public var region: String
    public var service: String

    public init(credentials: AWSCredentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }
}

public struct AWSCredentials: Sendable, CustomStringConvertible {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    /// Never the secrets.
    public var description: String { "AWSCredentials(accessKeyID: \(accessKeyID), secret: <redacted>)" }
}
