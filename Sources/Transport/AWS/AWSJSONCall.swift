import JSON

/// One call of an AWS JSON 1.1 protocol operation (`POST /`, `X-Amz-Target: <prefix>.<operation>`),
/// signed with SigV4, bounded by a timeout and a deadline.
struct AWSJSONCall {
    let http: HTTPClient
    let environment: AWSEnvironment
    let service: AWSService
    /// `secretsmanager.GetSecretValue`, `CertificateManager.GetCertificate`.
    let target: String
    let timeout: Duration

    /// The answer's JSON object; any failure as an `AWSError`.
    func call(_ body: JSONObject, deadline: Deadline?) async throws(AWSError) -> JSONValue {
        guard let credentials = environment.credentials else {
            throw AWSError(code: .missingCredentials, message: "\(AWSEnvironment.Variable.accessKeyID) and \(AWSEnvironment.Variable.secretAccessKey) must be set")
        }
        guard let region = environment.region else {
            throw AWSError(code: .missingRegion, message: "\(AWSEnvironment.Variable.region) must be set")
        }
        guard let endpoint = environment.endpoint(for: service) else {
            throw AWSError(code: .missingRegion, message: "\(AWSEnvironment.Variable.region) must be set")
        }
        let callDeadline = Deadline.after(timeout)
        let request = HTTPRequest(
            method: "POST", url: endpoint + "/",
            headers: ["Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target, "Accept": "application/json"],
            body: JSONValue.object(body).serializedBytes,
            timeout: timeout, connectTimeout: min(timeout, .seconds(1)),
            deadline: deadline.map { min($0, callDeadline) } ?? callDeadline,
            maxResponseBytes: 1 << 20,
            // One quick retry of a refused or reset connection, never past the deadline.
            retry: RetryPolicy(maxAttempts: 2, initialDelay: .milliseconds(100), maxDelay: .milliseconds(200), retriesUnavailable: true),
            awsSigning: AWSSigning(credentials: credentials, region: region, service: service.signingName))
        let response: HTTPResponse
        do {
            response = try await http.execute(request)
        } catch {
            let code: AWSError.Code = error.code == .timeout ? .timeout : .transport
            throw AWSError(code: code, message: "\(target) at \(endpoint): \(error)", underlying: error)
        }
        let parsed = try? JSONParser.parse(response.body)
        guard (200..<300).contains(response.status) else {
            throw Self.serviceError(response, parsed: parsed)
        }
        guard let parsed, parsed.objectValue != nil else {
            throw AWSError(code: .malformedResponse, message: "\(target): the answer is not a JSON object", status: response.status)
        }
        return parsed
    }

    /// `{"__type": "…#ResourceNotFoundException", "message": "…"}`, or the `x-amzn-ErrorType` header.
    private static func serviceError(_ response: HTTPResponse, parsed: JSONValue?) -> AWSError {
        var type = parsed?["__type"]?.stringValue ?? response.headers["x-amzn-ErrorType"]
        if let raw = type {
            // "com.amazonaws…#ResourceNotFoundException" and "ResourceNotFoundException:http://…" both occur.
            var name = Substring(raw)
            if let hash = name.lastIndex(of: "#") { name = name[name.index(after: hash)...] }
            if let colon = name.firstIndex(of: ":") { name = name[..<colon] }
            type = String(name)
        }
        let message = parsed?["message"]?.stringValue ?? parsed?["Message"]?.stringValue
            ?? String(decoding: response.body.prefix(200), as: UTF8.self)
        return AWSError(code: .service, message: message, status: response.status, serviceErrorType: type)
    }
}
