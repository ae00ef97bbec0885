public import Transport

/// The Lambda Extensions API: register, the next event, and error reports.
public struct ExtensionsAPIClient: Sendable {
    enum Header {
        static let name = "Lambda-Extension-Name"
        static let identifier = "Lambda-Extension-Identifier"
        static let errorType = "Lambda-Extension-Function-Error-Type"
    }

    private let baseURL: String
    private let http: HTTPClient

    /// - Parameter runtimeAPI: `host:port` from `AWS_LAMBDA_RUNTIME_API`.
    public init(runtimeAPI: String, http: HTTPClient) {
        baseURL = "http://\(runtimeAPI)/2020-01-01/extension"
        self.http = http
    }

    /// Registers for INVOKE and SHUTDOWN under `name` (the executable's file name, as Lambda expects);
    /// returns the identifier every later call carries.
    public func register(name: String) async throws(ExtensionsAPIError) -> String {
        let response = try await send(HTTPRequest(
            method: "POST", url: baseURL + "/register", headers: [Header.name: name, "Content-Type": "application/json"],
            body: Array(#"{"events":["INVOKE","SHUTDOWN"]}"#.utf8), timeout: .seconds(5)))
        guard response.status == 200, let identifier = response.headers[Header.identifier], !identifier.isEmpty else {
            throw ExtensionsAPIError(.rejected, "register answered \(response.status): \(response.bodyText.prefix(300))")
        }
        return identifier
    }

    /// Blocks until Lambda has the next event; calling it is also how the extension says it is done.
    public func nextEvent(identifier: String) async throws(ExtensionsAPIError) -> LambdaEvent {
        // No timeout: the call legitimately waits while the sandbox is frozen.
        let response = try await send(HTTPRequest(
            url: baseURL + "/event/next", headers: [Header.identifier: identifier], timeout: .zero, maxResponseBytes: 1 << 20))
        guard response.status == 200 else {
            throw ExtensionsAPIError(.rejected, "event/next answered \(response.status): \(response.bodyText.prefix(300))")
        }
        return try LambdaEvent(json: response.body)
    }

    /// Reports a failure during init (before the first `/event/next`).
    public func reportInitError(identifier: String?, errorType: String, message: String) async {
        await reportError(path: "/init/error", identifier: identifier, errorType: errorType, message: message)
    }

    /// Reports a failure after init; the extension exits afterwards.
    public func reportExitError(identifier: String, errorType: String, message: String) async {
        await reportError(path: "/exit/error", identifier: identifier, errorType: errorType, message: message)
    }

    private func reportError(path: String, identifier: String?, errorType: String, message: String) async {
        var headers: HTTPFields = [Header.errorType: errorType, "Content-Type": "application/json"]
        if let identifier { headers.add(name: Header.identifier, value: identifier) }
        let body: JSONBody = ["errorMessage": .string(message), "errorType": .string(errorType)]
        _ = try? await send(HTTPRequest(method: "POST", url: baseURL + path, headers: headers, body: body.bytes, timeout: .seconds(1)))
    }

    private func send(_ request: HTTPRequest) async throws(ExtensionsAPIError) -> HTTPResponse {
        do {
            return try await http.execute(request)
        } catch {
            throw ExtensionsAPIError(.unreachable, "Extensions API \(request.url): \(error)")
        }
    }
}
