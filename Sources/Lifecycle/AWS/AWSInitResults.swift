import Logging
import Transport

/// What init fetches from AWS: the APM Server credentials from Secrets Manager and the extra CA
/// from Certificate Manager. The calls run concurrently with each other (and, in the caller, with
/// registration), each bounded by its own timeout.
struct AWSInitResults: Sendable {
    /// The Secrets Manager value of `ELASTIC_APM_SECRETS_MANAGER_API_KEY_ID` as stored; nil when not configured.
    var apiKeySecret: Result<[UInt8], AWSError>?
    /// The Secrets Manager value of `ELASTIC_APM_SECRETS_MANAGER_SECRET_TOKEN_ID` as stored; nil when not configured.
    var secretTokenSecret: Result<[UInt8], AWSError>?
    /// The PEM of `ELASTIC_APM_SERVER_CA_CERT_ACM_ID`; nil when not configured.
    var certificateAuthority: Result<String, AWSError>?

    static func fetch(
        configuration: Configuration, environment: [String: String], http: HTTPClient, timeout: Duration = .seconds(2)
    ) async -> AWSInitResults {
        let aws = AWSEnvironment(environment: environment)
        let secrets = SecretsManagerClient(http: http, environment: aws, timeout: timeout)
        let acm = CertificateManagerClient(http: http, environment: aws, timeout: timeout)
        async let apiKey = secret(configuration.apiKeySecretID, secrets)
        async let secretToken = secret(configuration.secretTokenSecretID, secrets)
        async let certificate = certificate(configuration.serverCAACMID, acm)
        return await AWSInitResults(apiKeySecret: apiKey, secretTokenSecret: secretToken, certificateAuthority: certificate)
    }

    private static func secret(_ id: String?, _ client: SecretsManagerClient) async -> Result<[UInt8], AWSError>? {
        guard let id else { return nil }
        do { return .success(try await client.secretValue(id: id)) } catch { return .failure(error) }
    }

    private static func certificate(_ arn: String?, _ client: CertificateManagerClient) async -> Result<String, AWSError>? {
        guard let arn else { return nil }
        do { return .success(try await client.certificate(arn: arn)) } catch { return .failure(error) }
    }

    /// APM Server's authorization: a Secrets Manager id takes precedence over its plain variable
    /// (a failed fetch leaves that credential out, with a warning naming the id, never the value);
    /// the API key wins over the secret token. A fetched value that cannot be a credential throws.
    func authorization(configuration: Configuration, logger: Logger) throws(UnusableSecret) -> APMServerClient.Authorization? {
        func resolve(_ fetched: Result<[UInt8], AWSError>?, id: String?, variable: String, plain: String?) throws(UnusableSecret) -> String? {
            guard let fetched, let id else { return plain }
            switch fetched {
            case .success(let bytes):
                switch Self.credential(from: bytes) {
                case .success(let credential): return credential
                case .failure(let reason): throw UnusableSecret(variable: variable, id: id, reason: reason)
                }
            case .failure(let error):
                logger.warning(
                    "could not read \(variable) \"\(id)\" from AWS Secrets Manager: continuing without it",
                    metadata: ["secret.id": "\(id)", "reason": "\(error)"])
                return nil
            }
        }
        let apiKey = try resolve(
            apiKeySecret, id: configuration.apiKeySecretID, variable: Configuration.Variable.apiKeySecretID, plain: configuration.apiKey)
        let secretToken = try resolve(
            secretTokenSecret, id: configuration.secretTokenSecretID, variable: Configuration.Variable.secretTokenSecretID,
            plain: configuration.secretToken)
        return apiKey.map { .apiKey($0) } ?? secretToken.map { .secretToken($0) }
    }

    /// A secret's stored bytes (a `SecretString`'s, or a `SecretBinary`'s once base64-decoded) as
    /// a header credential: surrounding whitespace and line breaks trimmed (secrets are often
    /// saved from a file with its final newline), then UTF-8 text, not empty, without control
    /// characters (which would break, or inject into, the `Authorization` header).
    static func credential(from bytes: [UInt8]) -> Result<String, UnusableSecret.Reason> {
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }
        let start = bytes.firstIndex { !isSpace($0) } ?? bytes.endIndex
        let end = bytes.lastIndex { !isSpace($0) }.map { $0 + 1 } ?? start
        let trimmed = bytes[start..<max(start, end)]
        guard !trimmed.isEmpty else { return .failure(.empty) }
        guard let text = String(validating: trimmed, as: UTF8.self) else { return .failure(.notUTF8) }
        guard !trimmed.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return .failure(.controlCharacters) }
        return .success(text)
    }
}

/// A secret fetched from Secrets Manager whose value cannot be used as a credential: an init
/// error. It names the variable and the secret's id, never the value.
struct UnusableSecret: Error, Sendable, CustomStringConvertible {
    enum Reason: String, Error, Sendable {
        case empty = "is empty (or only whitespace)"
        case notUTF8 = "is not UTF-8 text"
        case controlCharacters = "contains control characters"
    }

    let variable: String
    let id: String
    let reason: Reason

    /// The `Extension.*` error type reported to `/extension/init/error`.
    var lambdaErrorType: String { "Extension.SecretsManagerError" }

    var description: String { "\(variable): the value of secret \"\(id)\" \(reason.rawValue)" }
}
