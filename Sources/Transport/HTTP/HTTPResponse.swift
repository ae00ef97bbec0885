/// The answer to a request, with what it took to get it.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPFields
    public var body: [UInt8]
    /// How many attempts the retry policy made (1: none retried).
    public var attempts: Int
    /// The waits before each retry, in order.
    public var retryDelays: [Duration]
    /// curl's timings of the last attempt.
    public var timings: HTTPTimings

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// Where the time of one attempt went, each measured from its start.
public struct HTTPTimings: Sendable {
    public var nameLookup: Duration
    public var connect: Duration
    public var tlsHandshake: Duration
    public var firstByte: Duration
    public var total: Duration
    /// Whether the attempt used a kept-alive connection rather than opening one.
    public var reusedConnection: Bool
}
