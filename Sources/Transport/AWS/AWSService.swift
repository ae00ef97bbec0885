/// An AWS service the extension calls: how its endpoint is found and how requests are signed.
public struct AWSService: Sendable, Hashable {
    /// The SigV4 signing name (`secretsmanager`, `acm`).
    public let signingName: String
    /// The host prefix of the default endpoint (`https://<prefix>.<region>.amazonaws.com`).
    public let endpointPrefix: String
    /// The service-specific endpoint override every AWS SDK honours.
    public let endpointVariable: String

    public static let secretsManager = AWSService(
        signingName: "secretsmanager", endpointPrefix: "secretsmanager", endpointVariable: "AWS_ENDPOINT_URL_SECRETS_MANAGER")
    public static let certificateManager = AWSService(
        signingName: "acm", endpointPrefix: "acm", endpointVariable: "AWS_ENDPOINT_URL_ACM")
}
