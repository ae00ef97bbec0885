#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// The variables the extension reads, which `apm-upload` falls back to so that it can be run
/// with a function's configuration as it is.
struct ProcessEnvironment: Sendable {
    static let serverURL = "ELASTIC_APM_LAMBDA_APM_SERVER"
    static let apiKey = "ELASTIC_APM_API_KEY"
    static let secretToken = "ELASTIC_APM_SECRET_TOKEN"
    static let caFile = "ELASTIC_APM_SERVER_CA_CERT_FILE"
    static let caPEM = "ELASTIC_APM_LAMBDA_SERVER_CA_CERT_PEM"
    static let verifyServerCert = "ELASTIC_APM_LAMBDA_VERIFY_SERVER_CERT"

    private let lookup: @Sendable (String) -> String?

    /// The process's own environment.
    init() {
        lookup = { name in getenv(name).map { String(cString: $0) } }
    }

    /// A fixed environment (tests).
    init(_ values: [String: String]) {
        lookup = { values[$0] }
    }

    /// The variable's value; an empty one counts as unset.
    subscript(name: String) -> String? {
        guard let value = lookup(name), !value.isEmpty else { return nil }
        return value
    }
}
