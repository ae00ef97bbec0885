import APMFixtures
import Benchmark
import LifecycleTesting

// Batch benchmark: events through the forwarder's batch (`BatchUnderTest`: add, deflated as added, then seal), as the
// forwarder drives it. A batch is the metadata line and 45 events (the forwarder ships at 90% of
// 50); one iteration builds 100 batches, i.e. 4500 events. The names carry both figures so that
// `scripts/bench_report.py` can derive events/s and allocations per event.

let benchmarks: @Sendable () -> Void = {
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: 2,
        maxDuration: .seconds(1),
        maxIterations: 100
    )
    let eventsPerBatch = 45
    let batches = 100
    let events = APMFixtures.events(count: eventsPerBatch)
    // An agent payload usually carries several events: the same events, handed over 5 at a time.
    let payloads: [[UInt8]] = stride(from: 0, to: events.count, by: 5).map { start in
        events[start..<min(start + 5, events.count)].flatMap { $0 }
    }

    Benchmark("batch add one event at a time \(eventsPerBatch) events x\(batches)", configuration: configuration) { benchmark in
        let builder = try BatchUnderTest()
        benchmark.startMeasurement()
        for _ in 0..<batches {
            try builder.open(metadata: APMFixtures.metadata)
            for event in events { try builder.add(events: event, count: 1) }
            blackHole(try builder.seal())
        }
        benchmark.stopMeasurement()
    }

    Benchmark("batch add payloads of 5 events \(eventsPerBatch) events x\(batches)", configuration: configuration) { benchmark in
        let builder = try BatchUnderTest()
        benchmark.startMeasurement()
        for _ in 0..<batches {
            try builder.open(metadata: APMFixtures.metadata)
            for payload in payloads { try builder.add(events: payload, count: 5) }
            blackHole(try builder.seal())
        }
        benchmark.stopMeasurement()
    }
}
