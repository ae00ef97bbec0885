/// The APM Server sink's TLS mode: PEM files for its certificate (chain) and private key. For
/// the extension to verify it, the certificate must name `127.0.0.1` (an IP subject alternative
/// name), and the extension must trust its issuer (`ELASTIC_APM_SERVER_CA_CERT_FILE`, …).
public struct SinkTLS: Codable, Sendable, Equatable {
    public var certificatePath: String
    public var privateKeyPath: String

    public init(certificatePath: String, privateKeyPath: String) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
    }
}
