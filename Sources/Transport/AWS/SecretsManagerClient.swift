import JSON

/// AWS Secrets Manager's `GetSecretValue`, signed with the function's credentials.
public struct SecretsManagerClient: Sendable {
    private let call: AWSJSONCall

    /// - Parameter timeout: bounds one call (connect, send, answer, one retry).
    public init(http: HTTPClient, environment: AWSEnvironment, timeout: Duration = .seconds(2)) {
        call = AWSJSONCall(http: http, environment: environment, service: .secretsManager, target: "secretsmanager.GetSecretValue", timeout: timeout)
    }

    /// The current (`AWSCURRENT`) value of the secret `id` (name or ARN) as stored: the UTF-8 bytes
    /// of its `SecretString`, else the base64-decoded bytes of its `SecretBinary`. What the bytes
    /// must be (text, trimmed, not empty) is the caller's to decide. Finishes by `deadline` or
    /// within `timeout`, whichever is first.
    public func secretValue(id: String, deadline: Deadline? = nil) async throws(AWSError) -> [UInt8] {
        let answer = try await call.call(["SecretId": .string(id), "VersionStage": .string("AWSCURRENT")], deadline: deadline)
        if let string = answer["SecretString"]?.stringValue { return Array(string.utf8) }
        guard let binary = answer["SecretBinary"]?.stringValue else {
            throw AWSError(code: .malformedResponse, message: "neither SecretString nor SecretBinary in the answer")
        }
        guard let bytes = Base64.decode(binary) else {
            throw AWSError(code: .malformedResponse, message: "SecretBinary is not base64")
        }
        return bytes
    }
}
