import Foundation
import LambdaSim
import Testing

extension EndToEndTests {
    /// Faults below HTTP, end to end: an APM Server that breaks its connections in the ways real
    /// ones do, and an agent-side flood of idle connections.
    @Suite("Fault injection")
    struct FaultInjection {
        @Test("APM Server faults: the function is never held, the extension keeps serving, and everything arrives once the server behaves",
              arguments: APMServerFault.allCases)
        func serverFault(_ fault: APMServerFault) async throws {
            let server = try await FaultyAPMServer.start(fault: fault, faultyRequests: 1)
            let run = try await EndToEnd.run(
                Scenario(invocations: [InvocationPlan(repeat: 4, compression: .gzip)]),
                environment: ["ELASTIC_APM_LAMBDA_APM_SERVER": server.url, "ELASTIC_APM_DATA_FORWARDER_TIMEOUT": "1s"],
                validate: false)
            await server.stop()
            // What reached the faulty server, in place of the simulator's own sink.
            var report = run
            report.sinkRequests = server.requests
            try EndToEnd.validateSinkEvents(report)

            #expect(server.faultsApplied == 1, "the fault was applied: \(server.requests.map(\.behaviour))")
            #expect(report.invocations.count == 4 && report.invocations.allSatisfy { $0.nextCalledAtMs != nil }, "kept serving")
            let transactions = Set(report.events(ofType: "transaction"))
            #expect(transactions.count == 4, "all four transactions arrived; log: \(EndToEnd.log(run))")
            for invocation in report.invocations {
                #expect(transactions.contains { $0.contains(invocation.requestID) }, "invocation \(invocation.index)'s transaction")
            }
            // The faulted request delivered nothing: what arrived came on a later, proper request.
            // A reset before any answer is retried at once on a new connection (it cannot duplicate
            // data): the send succeeds. An answer that is garbage or cut short fails the send and
            // starts the grace period; the data is kept and arrives later.
            let failures = EndToEnd.logLines(run, containing: "sending to APM Server failed")
            switch fault {
            case .resetMidBody, .slowBytes: #expect(failures.isEmpty, "\(failures)")
            case .garbage, .closeAfterHeaders: #expect(!failures.isEmpty)
            }
            let faulted = server.requests.filter { $0.behaviour == fault.rawValue && fault != .slowBytes }
            #expect(faulted.allSatisfy { $0.events.isEmpty })
        }

        @Test("1 000 idle agent connections: the agent's own requests are still accepted and their data arrives")
        func idleConnections() async throws {
            let report = try await EndToEnd.run(
                Scenario(invocations: [InvocationPlan(repeat: 2, probes: [.idleConnections])]))
            for invocation in report.invocations {
                let probe = try #require(invocation.agentRequests.first { $0.error?.contains("idle connections") == true })
                #expect(probe.error == "1000 of 1000 idle connections open")
                let intake = invocation.agentRequests.filter { $0.path.hasPrefix("/intake") }
                #expect(!intake.isEmpty && intake.allSatisfy { $0.status == 202 }, "\(intake)")
            }
            #expect(Set(report.events(ofType: "transaction")).count == 2)
            #expect(Set(report.events(ofType: "span")).count == 4)
        }
    }
}
