import HTTPServer
import Foundation
@testable import LambdaSim
import TestSupport
import Testing
import Transport

extension EndToEndTests {
    /// The real extension binary through lambda-sim: APM Server credentials from Secrets Manager and
    /// trust of a TLS APM Server from each CA option (PEM, file, ACM), with moto standing in for AWS.
    @Suite("Auth and TLS")
    struct AuthAndTLS {
        static let tls = Result { try TLSFixture() }

        /// A TLS sink presenting a certificate for 127.0.0.1 issued by the fixture's CA.
        private static func scenario(_ tls: TLSFixture, invocations: Int = 2) -> Scenario {
            var scenario = Scenario(timeoutMs: 3000, invocations: [InvocationPlan(repeat: invocations)])
            scenario.sinkTLS = SinkTLS(certificatePath: tls.certificatePath(), privateKeyPath: tls.privateKeyPath())
            return scenario
        }

        private static func run(_ scenario: Scenario, environment: [String: String]) async throws -> (SimulationReport, String) {
            let report = try await LambdaSimulator.run(SimulationOptions(
                extensionPath: try ExtensionBinary.path(), scenario: scenario, environment: environment))
            let log = (try? String(contentsOfFile: report.extensionLogPath, encoding: .utf8)) ?? ""
            return (report, log)
        }

        /// Runs the simulation while asking the extension's receiver for `GET /` (the info endpoint,
        /// proxied to APM Server); returns the status the proxy answered, nil when it never did.
        private static func runProbingInfo(_ scenario: Scenario, environment: [String: String]) async throws -> (SimulationReport, String, Int?) {
            let port = try LoopbackPort.free()
            var environment = environment
            environment["ELASTIC_APM_DATA_RECEIVER_SERVER_PORT"] = "\(port)"
            async let simulation = run(scenario, environment: environment)
            let status = await probeInfo(port: port)
            let (report, log) = try await simulation
            return (report, log, status)
        }

        /// Polls with real requests until the receiver answers (refused while it is not yet bound).
        private static func probeInfo(port: Int) async -> Int? {
            guard let client = try? HTTPClient() else { return nil }
            let deadline = Deadline.after(.seconds(10))
            while !deadline.hasPassed {
                do {
                    return try await client.execute(HTTPRequest(url: "http://127.0.0.1:\(port)/", timeout: .seconds(5))).status
                } catch {
                    try? await Task.sleep(for: .milliseconds(20))
                }
            }
            return nil
        }

        /// Every invocation was let go by its deadline.
        private static func expectNeverHeldPastDeadline(_ report: SimulationReport, timeoutMs: Int) {
            for invocation in report.invocations {
                let next = invocation.nextCalledAtMs
                #expect(next != nil, "invocation \(invocation.index) was never released")
                #expect((next ?? .infinity) <= invocation.invokedAtMs + Double(timeoutMs), "invocation \(invocation.index) held past its deadline")
            }
        }

        enum CAOption: String, CaseIterable, Sendable {
            case pem, file, acm, verificationOff
        }

        @Test("data reaches a TLS APM Server trusted through each CA option", arguments: CAOption.allCases)
        func dataReachesTLSSink(option: CAOption) async throws {
            let tls = try Self.tls.get()
            try await MotoServer.with { moto in
                var environment: [String: String] = ["ELASTIC_APM_LOG_LEVEL": "debug"]
                switch option {
                case .pem:
                    // The variable carries literal "\n" sequences, as a Lambda console field would.
                    environment["ELASTIC_APM_LAMBDA_SERVER_CA_CERT_PEM"] = tls.caPEM.replacingOccurrences(of: "\n", with: "\\n")
                case .file:
                    environment["ELASTIC_APM_SERVER_CA_CERT_FILE"] = tls.caPath
                case .acm:
                    let arn = try moto.importCertificate(certificatePath: tls.caPath, privateKeyPath: tls.caKeyPath)
                    environment.merge(moto.environment) { $1 }
                    environment["ELASTIC_APM_SERVER_CA_CERT_ACM_ID"] = arn
                case .verificationOff:
                    environment["ELASTIC_APM_LAMBDA_VERIFY_SERVER_CERT"] = "false"
                }
                var scenario = Self.scenario(tls)
                // Invocations long enough for the info request to reach the extension meanwhile.
                scenario.invocations = [InvocationPlan(repeat: 2, durationMs: 600)]
                let (report, log, infoStatus) = try await Self.runProbingInfo(scenario, environment: environment)

                #expect(report.problems.isEmpty, "\(report.problems)\n\(log)")
                #expect(report.initErrors.isEmpty)
                #expect(report.exitCode == 0)
                #expect(report.events(ofType: "transaction").count == 2, "\(log)")
                #expect(report.sinkRequests.filter { $0.path.hasPrefix("/intake/v2/events") }.allSatisfy { $0.status == 202 })
                // The info proxy trusts APM Server the same way.
                #expect(infoStatus == 200)
                #expect(report.sinkRequests.contains { $0.method == "GET" && $0.path == "/" })
                Self.expectNeverHeldPastDeadline(report, timeoutMs: scenario.timeoutMs)
                if option == .acm {
                    let calls = moto.requests.filter { $0.target == "CertificateManager.GetCertificate" }
                    #expect(calls.count == 1)
                    #expect(calls.allSatisfy { SigV4Header($0.authorization)?.scope == "\(MotoServer.region)/acm/aws4_request" })
                    #expect(calls.allSatisfy { SigV4Header($0.authorization)?.accessKeyID == MotoServer.accessKeyID })
                }
            }
        }

        @Test("with verification on and no CA: no data, one clear TLS error, the function is never held")
        func untrustedServer() async throws {
            let tls = try Self.tls.get()
            var scenario = Self.scenario(tls, invocations: 3)
            scenario.invocations = [InvocationPlan(repeat: 3, durationMs: 400)]
            let (report, log, infoStatus) = try await Self.runProbingInfo(scenario, environment: [:])

            #expect(report.sinkRequests.isEmpty)
            #expect(infoStatus == 502)
            #expect(report.exitCode == 0)
            #expect(report.invocations.count == 3)
            Self.expectNeverHeldPastDeadline(report, timeoutMs: scenario.timeoutMs)
            let tlsErrors = log.split(separator: "\n").filter { $0.contains(#""log.level":"error""#) && $0.contains("TLS") }
            #expect(tlsErrors.count == 1, "\(log)")
        }

        @Test("API key from a SecretString, secret token from a SecretBinary (saved with its newline); the secrets never logged")
        func credentialsFromSecretsManager() async throws {
            let tls = try Self.tls.get()
            try await MotoServer.with { moto in
                try moto.createSecret(name: "apm/api-key", string: "sm-api-key-value")
                // Saved from a file, final newline included: the credential is the trimmed text.
                try moto.createSecret(name: "apm/token", bytes: Array("sm-token-value\n".utf8))
                let base = moto.environment.merging(["ELASTIC_APM_SERVER_CA_CERT_FILE": tls.caPath, "ELASTIC_APM_LOG_LEVEL": "trace"]) { $1 }

                // Both ids, and a plain key they override: the API key from Secrets Manager wins.
                let (both, bothLog) = try await Self.run(Self.scenario(tls, invocations: 1), environment: base.merging([
                    "ELASTIC_APM_SECRETS_MANAGER_API_KEY_ID": "apm/api-key", "ELASTIC_APM_SECRETS_MANAGER_SECRET_TOKEN_ID": "apm/token",
                    "ELASTIC_APM_API_KEY": "plain-key",
                ]) { $1 })
                #expect(!both.sinkRequests.isEmpty)
                #expect(both.sinkRequests.allSatisfy { $0.headers["authorization"] == "ApiKey sm-api-key-value" })
                #expect(!bothLog.contains("sm-api-key-value") && !bothLog.contains("sm-token-value"))

                let (token, tokenLog) = try await Self.run(Self.scenario(tls, invocations: 1), environment: base.merging([
                    "ELASTIC_APM_SECRETS_MANAGER_SECRET_TOKEN_ID": "apm/token",
                ]) { $1 })
                #expect(!token.sinkRequests.isEmpty)
                #expect(token.sinkRequests.allSatisfy { $0.headers["authorization"] == "Bearer sm-token-value" })
                #expect(!tokenLog.contains("sm-token-value"))

                let calls = moto.requests.filter { $0.target == "secretsmanager.GetSecretValue" }
                #expect(calls.count == 3)
                for call in calls {
                    #expect(SigV4Header(call.authorization)?.scope == "\(MotoServer.region)/secretsmanager/aws4_request")
                    #expect(SigV4Header(call.authorization)?.accessKeyID == MotoServer.accessKeyID)
                    #expect(call.securityToken == MotoServer.sessionToken)
                }
            }
        }

        @Test("a secret whose value cannot be a credential is an init error naming its id, never its value", arguments: [
            [UInt8](arrayLiteral: 0x73, 0x6D, 0xFF, 0xFE, 0x0A), Array(" \r\n".utf8),
        ])
        func unusableSecretIsAnInitError(stored: [UInt8]) async throws {
            let tls = try Self.tls.get()
            try await MotoServer.with { moto in
                try moto.createSecret(name: "apm/bad-token", bytes: stored)
                let environment = moto.environment.merging([
                    "ELASTIC_APM_SERVER_CA_CERT_FILE": tls.caPath, "ELASTIC_APM_SECRETS_MANAGER_SECRET_TOKEN_ID": "apm/bad-token",
                ]) { $1 }
                let (report, log) = try await Self.run(Self.scenario(tls), environment: environment)
                #expect(report.registered)
                #expect(report.initErrors.map(\.type) == ["Extension.SecretsManagerError"], "\(log)")
                #expect(report.initErrors.first?.body.contains("apm/bad-token") == true)
                #expect(report.initErrors.first?.identifier != nil, "reported as the registered extension")
                #expect(report.exitCode == 1)
                #expect(report.sinkRequests.isEmpty)
                let errors = log.split(separator: "\n").filter { $0.contains(#""log.level":"error""#) }
                #expect(errors.count == 1 && errors.first?.contains("apm/bad-token") == true, "\(log)")
                #expect(!log.contains("sm\u{FFFD}"), "the value is never printed")
            }
        }

        @Test("a missing secret is a warning naming its id; data still flows, unauthenticated")
        func missingSecret() async throws {
            let tls = try Self.tls.get()
            try await MotoServer.with { moto in
                let environment = moto.environment.merging([
                    "ELASTIC_APM_SERVER_CA_CERT_FILE": tls.caPath, "ELASTIC_APM_SECRETS_MANAGER_API_KEY_ID": "apm/does-not-exist",
                ]) { $1 }
                let (report, log) = try await Self.run(Self.scenario(tls), environment: environment)
                #expect(report.problems.isEmpty, "\(report.problems)")
                #expect(report.events(ofType: "transaction").count == 2)
                #expect(report.sinkRequests.allSatisfy { $0.headers["authorization"] == nil })
                let warnings = log.split(separator: "\n").filter { $0.contains("apm/does-not-exist") }
                #expect(warnings.count == 1, "\(log)")
                #expect(warnings.first?.contains("ResourceNotFoundException") == true)
                #expect(warnings.first?.contains("warn") == true)
            }
        }

        @Test("an ACM certificate that cannot be fetched is an init error")
        func acmFailureIsAnInitError() async throws {
            let tls = try Self.tls.get()
            try await MotoServer.with { moto in
                let environment = moto.environment.merging([
                    "ELASTIC_APM_SERVER_CA_CERT_ACM_ID": "arn:aws:acm:\(MotoServer.region):123456789012:certificate/00000000-0000-0000-0000-000000000000",
                ]) { $1 }
                let (report, log) = try await Self.run(Self.scenario(tls), environment: environment)
                #expect(report.registered)
                #expect(report.initErrors.map(\.type) == ["Extension.ACMError"], "\(log)")
                #expect(report.exitCode == 1)
                #expect(report.sinkRequests.isEmpty)
            }
        }

        @Test("unreachable AWS endpoints cannot hold init: the extension registers, runs and ships without the secrets")
        func hangingAWSEndpointKeepsInitBounded() async throws {
            let tls = try Self.tls.get()
            // Accepts connections and never answers.
            let hanging = try await HTTPServer.start { _ in .ignore }
            let environment = [
                "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b", "AWS_REGION": "us-east-1",
                "AWS_ENDPOINT_URL": "http://127.0.0.1:\(hanging.port)",
                "ELASTIC_APM_SECRETS_MANAGER_API_KEY_ID": "key", "ELASTIC_APM_SECRETS_MANAGER_SECRET_TOKEN_ID": "token",
                "ELASTIC_APM_SERVER_CA_CERT_FILE": tls.caPath,
            ]
            let (report, log) = try await Self.run(Self.scenario(tls), environment: environment)
            await hanging.stop()
            // The simulator holds init to Lambda's 10 s: a call that never ended would be a problem
            // here. How long init takes is measured by the benchmarks, not asserted.
            #expect(report.registered)
            #expect(report.problems.isEmpty, "\(report.problems)")
            #expect(report.events(ofType: "transaction").count == 2)
            #expect(log.split(separator: "\n").filter { $0.contains("AWS Secrets Manager") }.count == 2, "\(log)")
        }
    }
}
