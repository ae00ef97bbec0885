@testable import APMUpload
import Testing

@Suite("BatchSplitter")
struct BatchSplitterTests {
    /// Lines of the given kinds ("m" metadata, "t" transaction), each `size` bytes long.
    static func lines(_ kinds: String, size: Int = 9) -> [NDJSONLine] {
        kinds.enumerated().map { index, kind in
            NDJSONLine(number: index + 1, kind: kind == "m" ? .metadata : .transaction, range: index * (size + 1)..<index * (size + 1) + size)
        }
    }

    /// Each batch as its metadata index and event count.
    static func shape(_ plans: [BatchPlan]) -> [[Int]] {
        plans.map { [$0.metadata, $0.events.count] }
    }

    @Test(arguments: [
        // (kinds, max events, expected [metadata index, events])
        ("m", 500, [[0, 0]]),
        ("mt", 500, [[0, 1]]),
        ("mttttt", 2, [[0, 2], [0, 2], [0, 1]]),
        ("mtttt", 2, [[0, 2], [0, 2]]),
        ("mttmt", 500, [[0, 2], [3, 1]]),
        ("mmt", 500, [[0, 0], [1, 1]]),
        ("mttm", 500, [[0, 2], [3, 0]]),
        ("mtttmtt", 2, [[0, 2], [0, 1], [4, 2]]),
    ])
    func splitsByEventCountAndMetadata(kinds: String, maxEvents: Int, expected: [[Int]]) {
        let plans = BatchSplitter(maxEvents: maxEvents, maxBytes: 0).split(Self.lines(kinds))
        #expect(Self.shape(plans) == expected)
    }

    @Test func splitsByBytesCountingTheMetadataAndLineBreaks() {
        // Lines of 9 bytes are 10 with their line break: the metadata and 2 events fit in 30.
        let plans = BatchSplitter(maxEvents: 500, maxBytes: 30).split(Self.lines("mttttt"))
        #expect(Self.shape(plans) == [[0, 2], [0, 2], [0, 1]])
        #expect(plans.map(\.uncompressedBytes) == [30, 30, 20])
    }

    @Test func anEventLargerThanTheByteLimitGoesAlone() {
        let plans = BatchSplitter(maxEvents: 500, maxBytes: 5).split(Self.lines("mtt"))
        #expect(Self.shape(plans) == [[0, 1], [0, 1]])
    }

    @Test func everyEventIsInExactlyOneBatchInOrder() {
        let lines = Self.lines("m" + String(repeating: "t", count: 1234))
        let plans = BatchSplitter().split(lines)
        #expect(plans.count == 3)
        #expect(plans.flatMap { Array($0.events) } == Array(1...1234))
    }
}
