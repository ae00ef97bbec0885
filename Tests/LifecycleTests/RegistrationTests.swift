import HTTPServer
@testable import LambdaSim
@testable import Lifecycle
import NIOConcurrencyHelpers
import Testing
import Transport

/// Registration against a real HTTP server on loopback that answers as Lambda's platforms do.
@Suite("Registration")
struct RegistrationTests {
    /// The bodies of the register requests the server saw, in order.
    final class Seen: Sendable {
        private let bodies = NIOLockedValueBox<[String]>([])
        var all: [String] { bodies.withLockedValue { $0 } }
        func append(_ body: [UInt8]) { bodies.withLockedValue { $0.append(String(decoding: body, as: UTF8.self)) } }
    }

    /// A platform that refuses INVOKE for extensions (Lambda Managed Instances) with `errorType`.
    private func withPlatform(
        refusingInvokeWith errorType: String, _ body: (ExtensionsAPIClient, Seen) async throws -> Void
    ) async throws {
        let seen = Seen()
        let server = try await HTTPServer.start { request in
            seen.append(request.body)
            if String(decoding: request.body, as: UTF8.self).contains("INVOKE") {
                return .respond(.json(403, #"{"errorMessage":"INVOKE: ErrorInvalidEventType","errorType":"\#(errorType)"}"#))
            }
            return .respond(.json(200, "{}", headers: ["Lambda-Extension-Identifier": "id-1"]))
        }
        let outcome: Result<Void, any Error>
        do {
            try await body(ExtensionsAPIClient(runtimeAPI: "127.0.0.1:\(server.port)", http: try HTTPClient()), seen)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        await server.stop()
        try outcome.get()
    }

    @Test("a 403 Extension.InvalidEventType for INVOKE: registered again for SHUTDOWN only")
    func invokeRefused() async throws {
        try await withPlatform(refusingInvokeWith: "Extension.InvalidEventType") { api, seen in
            let registration = try await api.register(name: "ext", events: .invokeAndShutdown, deadline: .after(.seconds(5)))
            #expect(registration == .init(identifier: "id-1", events: .shutdownOnly))
            #expect(seen.all == [#"{"events":["INVOKE","SHUTDOWN"]}"#, #"{"events":["SHUTDOWN"]}"#])
        }
    }

    @Test("Managed Instances: SHUTDOWN only from the start, one request")
    func shutdownOnlyAtOnce() async throws {
        try await withPlatform(refusingInvokeWith: "Extension.InvalidEventType") { api, seen in
            let registration = try await api.register(name: "ext", events: .shutdownOnly, deadline: .after(.seconds(5)))
            #expect(registration.events == .shutdownOnly)
            #expect(seen.all == [#"{"events":["SHUTDOWN"]}"#])
        }
    }

    @Test("any other 403 is a failed registration, not retried")
    func otherRefusal() async throws {
        try await withPlatform(refusingInvokeWith: "Extension.AccessDenied") { api, seen in
            let error = try await #require(throws: ExtensionsAPIError.self) {
                try await api.register(name: "ext", events: .invokeAndShutdown, deadline: .after(.seconds(5)))
            }
            #expect(error.code == .rejected)
            #expect(error.message.contains("403"))
            #expect(seen.all.count == 1)
        }
    }

    @Test("the environment's initialization type tells Managed Instances")
    func managedInstancesFromTheEnvironment() throws {
        let base = ["AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "ELASTIC_APM_LAMBDA_APM_SERVER": "http://apm:8200"]
        #expect(try Configuration(environment: base).isManagedInstances == false)
        #expect(try Configuration(environment: base.merging(["AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand"]) { $1 }).isManagedInstances == false)
        #expect(
            try Configuration(environment: base.merging(["AWS_LAMBDA_INITIALIZATION_TYPE": "lambda-managed-instances"]) { $1 }).isManagedInstances)
    }
}

extension EndToEndTests {
    @Suite("Failed registration")
    struct FailedRegistration {
        @Test(
            "a failed registration is reported on init/error without an identifier, logged, and the extension exits non-zero at once",
            arguments: [RegistrationFailure.serverError, .forbidden, .reset, .noAnswer])
        func reported(failure: RegistrationFailure) async throws {
            let report = try await LambdaSimulator.run(SimulationOptions(
                extensionPath: EndToEnd.extensionPath, scenario: Scenario(registrationFailure: failure, invocations: [InvocationPlan()])))
            let log = EndToEnd.log(report)
            // The simulator judges the exit: non-zero, and within 2 s of the refused registration.
            #expect(report.problems.isEmpty, "\(report.problems); log: \(log)")
            #expect(!report.registered)
            #expect(report.failedRegistrationsAtMs.count == 1)
            #expect(report.exitCode == 1, "\(log)")
            #expect(report.initErrors.count == 1, "\(log)")
            #expect(report.initErrors.first?.type == "Extension.RegistrationFailed")
            #expect(report.initErrors.first?.identifier == nil)
            #expect(report.invocations.isEmpty)
            #expect(EndToEnd.logLines(report, containing: "registration failed").count == 1, "\(log)")
        }
    }
}
