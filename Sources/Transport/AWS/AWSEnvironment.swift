/// What an AWS call needs from the environment Lambda sets: credentials, region, and the
/// endpoint of each service (service-specific override, then `AWS_ENDPOINT_URL`, then AWS's own).
public struct AWSEnvironment: Sendable {
    /// From `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`; nil when either of
    /// the first two is missing.
    public var credentials: AWSCredentials?
    /// `AWS_REGION`, else `AWS_DEFAULT_REGION`.
    public var region: String?
    /// `AWS_ENDPOINT_URL`.
    public var endpointURL: String?
    /// Service-specific overrides, by variable name.
    public var serviceEndpointURLs: [String: String]

    public enum Variable {
        public static let accessKeyID = "AWS_ACCESS_KEY_ID"
        public static let secretAccessKey = "AWS_SECRET_ACCESS_KEY"
        public static let sessionToken = "AWS_SESSION_TOKEN"
        public static let region = "AWS_REGION"
        public static let defaultRegion = "AWS_DEFAULT_REGION"
        public static let endpointURL = "AWS_ENDPOINT_URL"
    }

    public init(
        credentials: AWSCredentials?, region: String?, endpointURL: String? = nil, serviceEndpointURLs: [String: String] = [:]
    ) {
        self.credentials = credentials
        self.region = region
        self.endpointURL = endpointURL
        self.serviceEndpointURLs = serviceEndpointURLs
    }

    public init(environment: [String: String]) {
        func value(_ name: String) -> String? {
            guard let raw = environment[name], !raw.allSatisfy({ $0 == " " || $0 == "\t" }) else { return nil }
            return raw
        }
        if let key = value(Variable.accessKeyID), let secret = value(Variable.secretAccessKey) {
            credentials = AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: value(Variable.sessionToken))
        }
        region = value(Variable.region) ?? value(Variable.defaultRegion)
        endpointURL = value(Variable.endpointURL)
        serviceEndpointURLs = [:]
        for service in [AWSService.secretsManager, .certificateManager] {
            if let url = value(service.endpointVariable) { serviceEndpointURLs[service.endpointVariable] = url }
        }
    }

    /// The base URL to call `service` at, without a trailing slash; nil without a region to build AWS's own.
    public func endpoint(for service: AWSService) -> String? {
        if var url = serviceEndpointURLs[service.endpointVariable] ?? endpointURL {
            while url.hasSuffix("/") { url.removeLast() }
            return url
        }
        guard let region else { return nil }
        return "https://\(service.endpointPrefix).\(region).amazonaws.com"
    }
}
