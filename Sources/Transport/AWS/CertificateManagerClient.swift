import JSON

/// AWS Certificate Manager's `GetCertificate`, signed with the function's credentials.
public struct CertificateManagerClient: Sendable {
    private let call: AWSJSONCall

    /// - Parameter timeout: bounds one call (connect, send, answer, one retry).
    public init(http: HTTPClient, environment: AWSEnvironment, timeout: Duration = .seconds(2)) {
        call = AWSJSONCall(http: http, environment: environment, service: .certificateManager, target: "CertificateManager.GetCertificate", timeout: timeout)
    }

    /// The certificate `arn` and its chain, PEM, certificate first. Finishes by `deadline` or
    /// within `timeout`, whichever is first.
    public func certificate(arn: String, deadline: Deadline? = nil) async throws(AWSError) -> String {
        let answer = try await call.call(["CertificateArn": .string(arn)], deadline: deadline)
        guard let certificate = answer["Certificate"]?.stringValue,
            certificate.split(separator: "\n").contains(where: { $0.hasPrefix("-----BEGIN CERTIFICATE-----") })
        else {
            throw AWSError(code: .malformedResponse, message: "no PEM Certificate in the answer")
        }
        var pem = certificate
        if let chain = answer["CertificateChain"]?.stringValue, !chain.isEmpty {
            if !pem.hasSuffix("\n") { pem += "\n" }
            pem += chain
        }
        if !pem.hasSuffix("\n") { pem += "\n" }
        return pem
    }
}
