import Transport

/// Hides credentials in what `--verbose` prints: the values of credential headers (keeping the
/// scheme, `ApiKey` or `Bearer`, which is what one debugs) and a URL's user information.
enum HeaderRedactor {
    static let placeholder = "[redacted]"

    /// Header names whose whole value is a secret (compared lowercased).
    private static let secretNames: Set<String> = [
        "authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "x-amz-security-token",
    ]

    static func isSecret(name: String) -> Bool {
        let name = name.lowercased()
        return secretNames.contains(name) || name.contains("token") || name.contains("secret")
            || name.contains("api-key") || name.contains("apikey") || name.contains("password")
    }

    /// The value to print for a header.
    static func redact(name: String, value: String) -> String {
        guard isSecret(name: name) else { return value }
        let lowered = name.lowercased()
        if lowered == "authorization" || lowered == "proxy-authorization",
            let space = value.firstIndex(of: " "), value.startIndex != space
        {
            return "\(value[..<space]) \(placeholder)"
        }
        return placeholder
    }

    /// `Name: value` lines, redacted, in order.
    static func lines(_ fields: HTTPFields) -> [String] {
        fields.map { "\($0.name): \(redact(name: $0.name, value: $0.value))" }
    }

    /// The URL without a password (`https://user:secret@host` -> `https://user:[redacted]@host`).
    static func redact(url: String) -> String {
        let characters = Array(url)
        guard let colon = characters.firstIndex(of: ":"), characters[colon...].starts(with: [":", "/", "/"] as [Character])
        else { return url }
        let authorityStart = colon + 3
        let authorityEnd = characters[authorityStart...].firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? characters.endIndex
        guard let at = characters[authorityStart..<authorityEnd].lastIndex(of: "@") else { return url }
        let userEnd = characters[authorityStart..<at].firstIndex(of: ":") ?? at
        let user = String(characters[authorityStart..<userEnd])
        return String(characters[..<authorityStart]) + user + ":" + placeholder + String(characters[at...])
    }
}
