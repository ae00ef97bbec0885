import Logging
import Transport

/// What init fetches from AWS: the APM Server credentials from Secrets Manager and the extra CA
/// from Certificate Manager. The calls run concurrently with each other (and, in the caller, with
/// registration), each bounded by its own timeout.
struct AWSInitResults: Sendable {
    /// The Secrets Manager value of `ELASTIC_APM_SECRETS_MANAGER_API_KEY_ID`; nil when not configured.
    var apiKeySecret: Result<String, AWSError>?
    /// The Secrets Manager value of `ELASTIC_APM_SECRETS_MANAGER_SECRET_TOKEN_ID`; nil when not configured.
    var secretTokenSecret: Result<String, AWSError>?
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

    private static func secret(_ id: String?, _ client: SecretsManagerClient) async -> Result<String, AWSError>? {
        guard let id else { return nil }
        do { return .success(try await client.secretValue(id: id)) } catch { return .failure(error) }
    }

    private static func certificate(_ arn: String?, _ client: CertificateManagerClient) async -> Result<String, AWSError>? {
        guard let arn else { return nil }
        do { return .success(try await client.certificate(arn: arn)) } catch { return .failure(error) }
    }

    /// APM Server's authorization: a Secrets Manager id takes precedence over its plain variable
    /// (a failed fetch leaves that credential out, with a warning naming the id, never the value);
    /// the API key wins over the secret token.
    func authorization(configuration: Configuration, logger: Logger) -> APMServerClient.Authorization? {
        func resolve(_ fetched: Result<String, AWSError>?, id: String?, variable: String, plain: String?) -> String? {
            guard let fetched, let id else { return plain }
            switch fetched {
            case .success(let value):
                return value.isEmpty ? nil : value
            case .failure(let error):
                logger.warning(
                    "could not read \(variable) \"\(id)\" from AWS Secrets Manager: continuing without it",
                    metadata: ["secret.id": "\(id)", "reason": "\(error)"])
                return nil
            }
        }
        let apiKey = resolve(
            apiKeySecret, id: configuration.apiKeySecretID, variable: Configuration.Variable.apiKeySecretID, plain: configuration.apiKey)
        let secretToken = resolve(
            secretTokenSecret, id: configuration.secretTokenSecretID, variable: Configuration.Variable.secretTokenSecretID,
            plain: configuration.secretToken)
        return apiKey.map { .apiKey($0) } ?? secretToken.map { .secretToken($0) }
    }
}
