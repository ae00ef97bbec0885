@testable import LambdaSim
import Testing

@Suite("Latency figures")
struct LatencyFiguresTests {
    @Test func noSamplesNoFigures() {
        #expect(LatencyFigures([]) == nil)
    }

    @Test(arguments: [
        ([5.0], 5.0, 5.0),
        ([3.0, 1.0, 2.0], 2.0, 3.0),
        ((1...100).map(Double.init), 50.0, 99.0),
        ((1...200).map(Double.init), 100.0, 198.0),
    ])
    func nearestRank(samples: [Double], p50: Double, p99: Double) throws {
        let figures = try #require(LatencyFigures(samples))
        #expect(figures.p50 == p50)
        #expect(figures.p99 == p99)
        #expect(figures.max == samples.max())
        #expect(figures.count == samples.count)
    }

    @Test(arguments: [
        (#"{"span":{"id":"a"}}"#, "span"),
        (#"{"metadata":{}}"#, "metadata"),
        (#"{"span":{},"transaction":{}}"#, "?"),
        ("[]", "?"),
        ("{oops", "?"),
    ])
    func eventTypeIsTheSingleKey(line: String, type: String) {
        #expect(SinkRequest.eventType(of: line) == type)
    }
}
