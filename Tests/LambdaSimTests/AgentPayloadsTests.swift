import Foundation
import JSON
@testable import LambdaSim
import Testing
import Transport
import TestSupport

@Suite("Simulated agent")
struct AgentPayloadsTests {
    static let plans: [InvocationPlan] = [
        InvocationPlan(spans: 3, metricset: true),
        InvocationPlan(outcome: .error, spans: 1),
        InvocationPlan(spans: 0),
    ]

    private func lines(_ payloads: AgentPayloads) -> [String] {
        ([payloads.metadata] + payloads.events(durationMs: 123.456)).map { value in
            var writer = JSONWriter()
            writer.write(value)
            return writer.text
        }
    }

    @Test func eventsValidateAgainstTheIntakeSchemas() throws {
        let scenario = Scenario()
        var bodies: [[String]] = []
        for (index, plan) in Self.plans.enumerated() {
            let payloads = AgentPayloads(
                scenario: scenario, index: index, requestID: SimulationRun.requestID(index), plan: plan,
                startMicroseconds: 1_790_000_000_000_000)
            bodies.append(lines(payloads))
            // The /register/transaction body is intake too.
            var metadata = JSONWriter()
            metadata.write(payloads.metadata)
            var registered = JSONWriter()
            registered.write(payloads.registeredTransaction)
            bodies.append([metadata.text, registered.text])
        }
        let path = IntakeValidator.temporaryPath("agent.ndjson")
        try SimulationReport.writeNDJSON(bodies, to: path)
        let (status, output) = try IntakeValidator.validate(ndjson: path)
        #expect(status == 0, "\(output)")
    }

    @Test func eventsMatchThePlan() throws {
        let payloads = AgentPayloads(
            scenario: Scenario(), index: 1, requestID: "req", plan: InvocationPlan(outcome: .error, spans: 2, metricset: true),
            startMicroseconds: 1_790_000_000_000_000)
        let types = payloads.events(durationMs: 10).compactMap { $0.objectValue?.keys.first }
        #expect(types == ["span", "span", "error", "metricset", "transaction"])
        let transaction = try #require(payloads.events(durationMs: 10).last?["transaction"])
        #expect(transaction["faas"]?["execution"]?.stringValue == "req")
        #expect(transaction["outcome"]?.stringValue == "failure")
        #expect(transaction["id"]?.stringValue == payloads.transactionID)
        #expect(payloads.registeredTransaction["transaction"]?["id"]?.stringValue == payloads.transactionID)
    }

    @Test(arguments: [AgentCompression.gzip, .deflate])
    func compressedBodiesInflateBack(compression: AgentCompression) throws {
        let body = Array(String(repeating: "{\"span\":{}}\n", count: 500).utf8)
        let encoded = try AgentCompressor.encode(body, as: compression)
        #expect(encoded.count < body.count)
        let format: Inflater.Format = compression == .gzip ? .gzip : .zlib
        var inflater = try Inflater()
        #expect(try inflater.inflate(encoded, format: format, maxOutputBytes: 1 << 20) == body)
    }

    @Test func adler32MatchesKnownValue() {
        // RFC 1950's checksum of "Wikipedia", a commonly quoted value.
        #expect(AgentCompressor.adler32(Array("Wikipedia".utf8)) == 0x11E6_0398)
    }
}
