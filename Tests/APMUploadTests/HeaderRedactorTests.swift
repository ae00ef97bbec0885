@testable import APMUpload
import Testing
import Transport

@Suite("HeaderRedactor, TimeoutArgument, ProgressLine")
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

    @Test(arguments: [
        ("10", 10_000), ("2.5", 2500), ("500ms", 500), ("30s", 30_000), ("2m", 120_000), ("1.5s", 1500),
    ])
    func parsesTimeouts(argument: String, milliseconds: Int64) {
        #expect(TimeoutArgument(argument: argument)?.duration.milliseconds == milliseconds)
    }

    @Test(arguments: ["", "0", "-1", "abc", "10h", "ms", "inf"])
    func refusesBadTimeouts(argument: String) {
        #expect(TimeoutArgument(argument: argument) == nil)
    }

    @Test func progressOnlyForLargeInputsOnATerminal() {
        #expect(ProgressLine.wanted(totalBytes: 2 << 20, stderrIsTerminal: true, verbose: false))
        #expect(!ProgressLine.wanted(totalBytes: 2 << 20, stderrIsTerminal: false, verbose: false))
        #expect(!ProgressLine.wanted(totalBytes: 1 << 20, stderrIsTerminal: true, verbose: false))
        #expect(!ProgressLine.wanted(totalBytes: 2 << 20, stderrIsTerminal: true, verbose: true))
        #expect(ProgressLine.megabytes(1_572_864) == "1.5 MiB")
    }
}

@Suite("ConnectionOptions.joiningDashedValues")
struct DashedValueTests {
    @Test func aPEMAfterCAPEMBecomesItsValue() {
        let pem = "-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----"
        #expect(ConnectionOptions.joiningDashedValues(["info", "--ca-pem", pem, "-v"]) == ["info", "--ca-pem=" + pem, "-v"])
        #expect(ConnectionOptions.joiningDashedValues(["send", "--secret-token", "-x-", "f"]) == ["send", "--secret-token=-x-", "f"])
    }

    @Test func everythingElseIsLeftAlone() {
        let arguments = ["send", "--ca-pem", "plain", "--server", "-", "--", "--ca-pem", "-----"]
        #expect(ConnectionOptions.joiningDashedValues(arguments) == arguments)
    }
}
