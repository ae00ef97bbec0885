import JSON

/// Sends intake v2 bodies to APM Server, OTLP/HTTP exports to the OTLP destination, and proxies
/// other requests to APM Server, with the extension's own credentials and user agent.
public struct APMServerClient: Sendable {
    public enum Authorization: Sendable {
        case apiKey(String)
        case secretToken(String)

        public var headerValue: String {
            switch self {
            case .apiKey(let key): "ApiKey \(key)"
            case .secretToken(let token): "Bearer \(token)"
            }
        }
    }

    public let serverURL: String
    /// Where OTLP exports go (`<otlpURL>/v1/traces`, …): APM Server itself unless configured otherwise.
    public let otlpURL: String
    public let authorization: Authorization?
    public let userAgent: String
    private let http: HTTPClient

    /// - Parameters:
    ///   - serverURL: base URL without a trailing slash.
    ///   - otlpURL: base URL of the OTLP/HTTP destination without a trailing slash; nil: `serverURL`.
    ///   - userAgent: `apm-aws-lambda/<version>`; the agent's own is appended when known.
    public init(serverURL: String, otlpURL: String? = nil, authorization: Authorization?, userAgent: String, http: HTTPClient) {
        self.serverURL = serverURL
        self.otlpURL = otlpURL ?? serverURL
        self.authorization = authorization
        self.userAgent = userAgent
        self.http = http
    }

    /// Posts one gzip-compressed ndjson body to `/intake/v2/events`.
    /// - Parameter followUp: sent by the transport as soon as the body is accepted
    ///   (`HTTPClient.execute(_:then:)`).
    public func sendEvents(
        gzippedBody: [UInt8], agentUserAgent: String?, timeout: Duration, deadline: Deadline?, then followUp: PreparedRequest? = nil
    ) async -> SendOutcome {
        let request = intakeRequest(
            gzippedBody: gzippedBody, agentUserAgent: agentUserAgent, timeout: timeout, deadline: deadline)
        do {
            let response = try await http.execute(request, then: followUp)
            return Self.outcome(status: response.status, body: response.body)
        } catch {
            return .serverFailure("\(error)")
        }
    }

    /// The request `sendEvents` makes, for callers that execute it themselves to see its headers,
    /// the raw answer and its timings (`apm-upload`).
    public func intakeRequest(
        gzippedBody: [UInt8], agentUserAgent: String?, timeout: Duration, deadline: Deadline?
    ) -> HTTPRequest {
        var headers: HTTPFields = [
            "Content-Type": "application/x-ndjson",
            "Content-Encoding": "gzip",
            "User-Agent": agentUserAgent.map { "\(userAgent) \($0)" } ?? userAgent,
        ]
        if let authorization { headers.add(name: "Authorization", value: authorization.headerValue) }
        return HTTPRequest(
            method: "POST", url: serverURL + "/intake/v2/events", headers: headers, body: gzippedBody,
            timeout: timeout, deadline: deadline, maxResponseBytes: 256 << 10,
            // A kept-alive connection the server closed in between is worth one quick retry; an
            // overloaded server is left to the health state machine's grace period.
            retry: RetryPolicy(maxAttempts: 2, initialDelay: .milliseconds(10), maxDelay: .milliseconds(100), retriesUnavailable: false))
    }

    /// Posts one gzip-compressed OTLP export (protobuf, as the SDK encoded it) to its signal's path
    /// under `otlpURL`. The answer is classified as intake's is.
    public func sendOTLP(
        _ signal: OTLPSignal, gzippedBody: [UInt8], senderUserAgent: String?, timeout: Duration, deadline: Deadline?,
        then followUp: PreparedRequest? = nil
    ) async -> SendOutcome {
        var headers: HTTPFields = [
            "Content-Type": "application/x-protobuf",
            "Content-Encoding": "gzip",
            "User-Agent": senderUserAgent.map { "\(userAgent) \($0)" } ?? userAgent,
        ]
        if let authorization { headers.add(name: "Authorization", value: authorization.headerValue) }
        let request = HTTPRequest(
            method: "POST", url: otlpURL + signal.path, headers: headers, body: gzippedBody,
            timeout: timeout, deadline: deadline, maxResponseBytes: 256 << 10,
            // As for intake: one quick retry of a kept-alive connection closed in between.
            retry: RetryPolicy(maxAttempts: 2, initialDelay: .milliseconds(10), maxDelay: .milliseconds(100), retriesUnavailable: false))
        do {
            let response = try await http.execute(request, then: followUp)
            return Self.outcome(status: response.status, body: response.body)
        } catch {
            return .serverFailure("\(error)")
        }
    }

    /// Classifies an answer of `/intake/v2/events` or of an OTLP export path.
    public static func outcome(status: Int, body: [UInt8]) -> SendOutcome {
        switch status {
        case 200..<300: return .accepted
        case 429: return .rateLimited
        case 401, 403, 500...: return .serverFailure("APM Server answered \(status)\(errorSummary(body))")
        default: return .clientFailure("APM Server refused the data with \(status)\(errorSummary(body))")
        }
    }

    /// The server's `{"errors":[{"message":…,"document":…}]}`, briefly.
    static func errorSummary(_ body: [UInt8]) -> String {
        guard let value = try? JSONParser.parse(body), let errors = value["errors"]?.arrayValue, !errors.isEmpty else {
            // Not JSON: text, or an OTLP `Status` in protobuf, whose message shows once the
            // binary framing is left out.
            let text = String(decoding: body.prefix(300), as: UTF8.self).filter { $0 >= " " && $0 != "\u{7F}" && $0 != "\u{FFFD}" }
            return text.isEmpty ? "" : ": \(text)"
        }
        let messages = errors.prefix(5).map { error in
            let message = error["message"]?.stringValue ?? error.serialized
            let document = error["document"]?.stringValue.map { " in \($0.prefix(200))" } ?? ""
            return message + document
        }
        return ": " + messages.joined(separator: "; ") + (errors.count > 5 ? " (and \(errors.count - 5) more)" : "")
    }

    /// Forwards a request from an agent (anything but intake) with the extension's credentials.
    public func proxy(
        method: String, pathAndQuery: String, headers incoming: HTTPFields, body: [UInt8], timeout: Duration
    ) async throws(TransportError) -> HTTPResponse {
        var headers = HTTPFields()
        for (name, value) in incoming {
            switch name.lowercased() {
            // Hop-by-hop, recomputed, or replaced by ours. Agents' own Authorization never goes on.
            case "authorization", "host", "connection", "content-length", "transfer-encoding", "keep-alive",
                "user-agent", "expect", "x-forwarded-host":
                continue
            default:
                headers.add(name: name, value: value)
            }
        }
        if let host = incoming["host"] { headers.add(name: "X-Forwarded-Host", value: host) }
        headers.add(name: "User-Agent", value: incoming["user-agent"].map { "\(userAgent) \($0)" } ?? userAgent)
        if let authorization { headers.add(name: "Authorization", value: authorization.headerValue) }
        return try await http.execute(HTTPRequest(
            method: method, url: serverURL + pathAndQuery, headers: headers, body: body, timeout: timeout,
            maxResponseBytes: 4 << 20))
    }
}
