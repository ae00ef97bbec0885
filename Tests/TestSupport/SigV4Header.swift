/// An `Authorization: AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request,
/// SignedHeaders=…, Signature=…` header, taken apart; nil when it is not one.
public struct SigV4Header: Sendable, Equatable {
    public var accessKeyID: String
    /// `YYYYMMDD`.
    public var date: String
    /// `<region>/<service>/aws4_request`.
    public var scope: String
    public var signedHeaders: [String]
    public var signature: String

    public init?(_ header: String) {
        let prefix = "AWS4-HMAC-SHA256 "
        guard header.hasPrefix(prefix) else { return nil }
        var fields: [String: String] = [:]
        for part in header.dropFirst(prefix.count).split(separator: ",") {
            let trimmed = part.drop { $0 == " " }
            guard let equals = trimmed.firstIndex(of: "=") else { return nil }
            fields[String(trimmed[..<equals])] = String(trimmed[trimmed.index(after: equals)...])
        }
        guard let credential = fields["Credential"], let signed = fields["SignedHeaders"], let signature = fields["Signature"] else {
            return nil
        }
        let pieces = credential.split(separator: "/", omittingEmptySubsequences: false)
        guard pieces.count == 5, pieces[4] == "aws4_request", pieces[1].count == 8, pieces[1].allSatisfy(\.isNumber) else { return nil }
        accessKeyID = String(pieces[0])
        date = String(pieces[1])
        scope = pieces[2...].joined(separator: "/")
        signedHeaders = signed.split(separator: ";").map(String.init)
        self.signature = signature
        guard signature.count == 64, signature.allSatisfy(\.isHexDigit) else { return nil }
    }
}
