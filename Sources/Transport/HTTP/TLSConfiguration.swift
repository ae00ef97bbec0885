/// How the client trusts servers. Extra CAs are added to the system roots, not instead of them.
public struct TLSConfiguration: Sendable {
    /// Verify the certificate chain and that it names the host.
    public var verifyPeer: Bool
    /// Extra trusted CA certificates, PEM (any number).
    public var extraCAPEM: String?
    /// A CA bundle file to use as the system roots; nil: libcurl's default.
    public var caBundlePath: String?

    public init(verifyPeer: Bool = true, extraCAPEM: String? = nil, caBundlePath: String? = nil) {
        self.verifyPeer = verifyPeer
        self.extraCAPEM = extraCAPEM
        self.caBundlePath = caBundlePath
    }
}
