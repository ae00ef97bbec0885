@testable import APMUpload
import Testing
import Transport

@Suite("HeaderRedactor")
struct HeaderRedactorTests {
    @Test(arguments: [
        ("Authorization", "ApiKey abc==", "ApiKey [redacted]"),
        ("authorization", "Bearer t0k3n", "Bearer [redacted]"),
        ("Authorization", "opaque", "[redacted]"),
        ("Proxy-Authorization", "Basic dXNlcg==", "Basic [redacted]"),
        ("Set-Cookie", "session=1", "[redacted]"),
        ("X-Secret-Token", "s", "[redacted]"),
        ("Content-Type", "application/x-ndjson", "application/x-ndjson"),
        ("User-Agent", "apm-upload/0.1.0", "apm-upload/0.1.0"),
    ])
    func redactsCredentialHeaders(name: String, value: String, expected: String) {
        #expect(HeaderRedactor.redact(name: name, value: value) == expected)
    }

    @Test(arguments: [
        ("https://user:pass@apm.example.com:8200/x?y=z@w", "https://user:[redacted]@apm.example.com:8200/x?y=z@w"),
        ("https://apm.example.com/intake", "https://apm.example.com/intake"),
        ("http://token@host", "http://token:[redacted]@host"),
        ("not a url", "not a url"),
    ])
    func redactsURLUserInformation(url: String, expected: String) {
        #expect(HeaderRedactor.redact(url: url) == expected)
    }
}
