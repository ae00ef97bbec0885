/// How a refused subscription looks to the extension.
public enum SubscriptionRefusal: String, Codable, Sendable {
    /// 404, as a platform without that API answers.
    case notFound = "not-found"
    /// 400, as Lambda answers an unknown schema version.
    case badRequest = "bad-request"
    /// The connection closes without an answer.
    case reset
}
