import JSON
package import Transport

/// The Lambda Extensions API: register, the next event, and error reports.
package struct ExtensionsAPIClient: Sendable {
    enum Header {
        static let name = "Lambda-Extension-Name"
        static let identifier = "Lambda-Extension-Identifier"
        static let errorType = "Lambda-Extension-Function-Error-Type"
    }

    private let baseURL: String
    private let http: HTTPClient

    /// - Parameter runtimeAPI: `host:port` from `AWS_LAMBDA_RUNTIME_API`.
    package init(runtimeAPI: String, http: HTTPClient) {
        baseURL = "http://\(runtimeAPI)/2020-01-01/extension"
        self.http = http
    }

    /// What the extension registered for.
    package enum Events: String, Sendable {
        case invokeAndShutdown = #"["INVOKE","SHUTDOWN"]"#
        /// Where the platform sends extensions no INVOKE (Lambda Managed Instances): `/event/next`
        /// then answers only at SHUTDOWN.
        case shutdownOnly = #"["SHUTDOWN"]"#
    }

    package struct Registration: Sendable, Equatable {
        /// What every later call carries.
        package var identifier: String
        package var events: Events
    }

    /// Registers under `name` (the executable's file name, as Lambda expects) for `events`. When
    /// the platform refuses `INVOKE` (403 `Extension.InvalidEventType`, as Managed Instances do),
    /// registers again for SHUTDOWN alone instead of failing. Both attempts end by `deadline`.
    package func register(name: String, events: Events, deadline: Deadline) async throws(ExtensionsAPIError) -> Registration {
        let response = try await send(registration(name: name, events: events, deadline: deadline))
        if events == .invokeAndShutdown, response.status == 403, Self.errorType(of: response) == "Extension.InvalidEventType" {
            return try await register(name: name, events: .shutdownOnly, deadline: deadline)
        }
        guard response.status == 200, let identifier = response.headers[Header.identifier], !identifier.isEmpty else {
            throw ExtensionsAPIError(.rejected, "register answered \(response.status): \(response.bodyText.prefix(300))")
        }
        return Registration(identifier: identifier, events: events)
    }

    private func registration(name: String, events: Events, deadline: Deadline) -> HTTPRequest {
        HTTPRequest(
            method: "POST", url: baseURL + "/register", headers: [Header.name: name, "Content-Type": "application/json"],
            body: Array(#"{"events":"#.utf8) + Array(events.rawValue.utf8) + [UInt8(ascii: "}")],
            timeout: .milliseconds(max(1, deadline.remainingMilliseconds)),
            deadline: deadline)
    }

    /// The `errorType` of an Extensions API error answer, if it has one.
    private static func errorType(of response: HTTPResponse) -> String? {
        (try? JSONParser.parse(response.body))?["errorType"]?.stringValue
    }

    /// Blocks until Lambda has the next event; calling it is also how the extension says it is done.
    package func nextEvent(identifier: String) async throws(ExtensionsAPIError) -> LambdaEvent {
        try await nextEvent(prepareNextEvent(identifier: identifier))
    }

    /// `/event/next` made ready ahead: the flush's last batch may send it as soon as APM Server
    /// accepts that batch (`Forwarder.flush(until:lastChance:then:)`).
    package func prepareNextEvent(identifier: String) throws(ExtensionsAPIError) -> PreparedRequest {
        // No timeout: the call legitimately waits while the sandbox is frozen.
        let request = HTTPRequest(
            url: baseURL + "/event/next", headers: [Header.identifier: identifier], timeout: .zero, maxResponseBytes: 1 << 20)
        do {
            return try http.prepare(request)
        } catch {
            throw Self.unreachable(request.url, error)
        }
    }

    /// The prepared `/event/next`'s answer (sent now, unless a batch's answer sent it already).
    package func nextEvent(_ prepared: PreparedRequest) async throws(ExtensionsAPIError) -> LambdaEvent {
        let response: HTTPResponse
        do {
            response = try await http.execute(prepared)
        } catch {
            throw Self.unreachable(baseURL + "/event/next", error)
        }
        guard response.status == 200 else {
            throw ExtensionsAPIError(.rejected, "event/next answered \(response.status): \(response.bodyText.prefix(300))")
        }
        return try LambdaEvent(json: response.body)
    }

    /// Reports a failure during init (before the first `/event/next`), by `deadline` at the latest.
    package func reportInitError(identifier: String?, errorType: String, message: String, deadline: Deadline? = nil) async {
        await reportError(path: "/init/error", identifier: identifier, errorType: errorType, message: message, deadline: deadline)
    }

    /// Reports a failure after init; the extension exits afterwards.
    package func reportExitError(identifier: String, errorType: String, message: String) async {
        await reportError(path: "/exit/error", identifier: identifier, errorType: errorType, message: message)
    }

    private func reportError(path: String, identifier: String?, errorType: String, message: String, deadline: Deadline? = nil) async {
        var headers: HTTPFields = [Header.errorType: errorType, "Content-Type": "application/json"]
        if let identifier { headers.add(name: Header.identifier, value: identifier) }
        let body: JSONBody = ["errorMessage": .string(message), "errorType": .string(errorType)]
        // Best effort, and never long: the process exits right after.
        let timeout = Duration.milliseconds(min(1000, max(1, deadline?.remainingMilliseconds ?? 1000)))
        _ = try? await send(HTTPRequest(method: "POST", url: baseURL + path, headers: headers, body: body.bytes, timeout: timeout))
    }

    private func send(_ request: HTTPRequest) async throws(ExtensionsAPIError) -> HTTPResponse {
        do {
            return try await http.execute(request)
        } catch {
            throw Self.unreachable(request.url, error)
        }
    }

    private static func unreachable(_ url: String, _ error: TransportError) -> ExtensionsAPIError {
        ExtensionsAPIError(.unreachable, "Extensions API \(url): \(error)")
    }
}
