/// How the Extensions API fails the extension's `/extension/register`, when it does.
public enum RegistrationFailure: String, Codable, Sendable {
    /// 500 with an error body, as when the platform itself is in trouble.
    case serverError = "server-error"
    /// 403 `Extension.AccessDenied`: the platform will not have this extension.
    case forbidden
    /// The connection closes without an answer.
    case reset
    /// The request is never answered: the extension's own timeout must end the wait.
    case noAnswer = "no-answer"
}
