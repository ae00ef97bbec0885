import Transport

/// One connection to APM Server (kept alive across batches, as the extension keeps it) and the
/// way every request goes through it: logged with `--verbose`, failures mapped to exit statuses.
struct UploadSession: Sendable {
    static let userAgent = "apm-upload/\(APMUploadCommand.version)"

    let settings: UploadSettings
    let client: APMServerClient
    private let http: HTTPClient

    init(_ settings: UploadSettings) throws(UploadFailure) {
        self.settings = settings
        do {
            http = try HTTPClient(tls: settings.tls, maxConnections: 1)
        } catch {
            // Only what was given can fail here (a CA that does not parse): the user's to fix.
            throw UploadFailure(.usage, "cannot set up the HTTP client: \(error)")
        }
        client = APMServerClient(
            serverURL: settings.serverURL, authorization: settings.authorization, userAgent: Self.userAgent, http: http)
    }

    /// The intake request for one gzip'd batch, with this session's timeout and retries.
    func intakeRequest(gzippedBody: [UInt8]) -> HTTPRequest {
        var request = client.intakeRequest(gzippedBody: gzippedBody, agentUserAgent: nil, timeout: settings.timeout, deadline: nil)
        request.retry = settings.retry
        return request
    }

    /// `GET /`: the server's version and build, with the same credentials.
    func serverInfoRequest() -> HTTPRequest {
        var headers: HTTPFields = ["Accept": "application/json", "User-Agent": Self.userAgent]
        if let authorization = settings.authorization { headers.add(name: "Authorization", value: authorization.headerValue) }
        return HTTPRequest(
            method: "GET", url: settings.serverURL + "/", headers: headers, timeout: settings.timeout,
            maxResponseBytes: 1 << 20, retry: settings.retry)
    }

    /// Any HTTP answer is returned, whatever its status; no answer at all is `.network`.
    func execute(_ request: HTTPRequest, note: String? = nil) async throws(UploadFailure) -> HTTPResponse {
        if settings.verbose { VerboseLog.request(request, note: note) }
        let response: HTTPResponse
        do {
            response = try await http.execute(request)
        } catch {
            throw Self.failure(error, url: request.url)
        }
        if settings.verbose { VerboseLog.response(response) }
        return response
    }

    static func failure(_ error: TransportError, url: String) -> UploadFailure {
        let target = HeaderRedactor.redact(url: url)
        switch error.code {
        case .badURL, .usage:
            return UploadFailure(.usage, "cannot request \(target): \(error)")
        case .tls:
            return UploadFailure(
                .network,
                "TLS failure with \(target): \(error)\n(trust the server's CA with --ca-file or --ca-pem, or skip verification with --insecure)")
        default:
            return UploadFailure(.network, "no answer from \(target): \(error)")
        }
    }
}
