import JSON

/// Turns a `platform.report` into the `metricset` event of docs/ARCHITECTURE.md, "Platform metrics". Pure.
package enum PlatformMetrics {
    /// Samples only for what the report has: a field it lacks (billed duration and memory on
    /// Lambda Managed Instances) is left out, not guessed.
    /// - Parameters:
    ///   - functionARN: `faas.id`.
    ///   - invocationStartMilliseconds: wall-clock ms when the invocation began (for `faas.timeout`);
    ///     nil when the extension never saw its INVOKE.
    ///   - deadlineMilliseconds: the invocation's `deadlineMs`.
    ///   - coldStartKnown: whether a report without `initDurationMs` means a warm start (one
    ///     invocation at a time); where invocations share an environment it says nothing.
    package static func metricset(
        report: TelemetryEvent.Report, functionARN: String?, invocationStartMilliseconds: Int64?,
        deadlineMilliseconds: Int64?, timestampMicroseconds: Int64, coldStartKnown: Bool = true
    ) -> [UInt8] {
        // Written straight into bytes, one per invocation: building it as values first and then
        // writing those cost twice as much (Benchmarks/ANALYSIS.md, "CPU per invocation").
        let megabyte = 1_048_576.0
        // A restored SnapStart copy's first invocation is its cold start: the restore is its init.
        let coldStartDuration: Double? =
            coldStartKnown || report.initDurationMilliseconds != nil
            ? report.initDurationMilliseconds ?? report.restoreDurationMilliseconds ?? 0 : nil
        var writer = JSONWriter(reservingCapacity: 512)
        writer.writeRaw(#"{"metricset":{"timestamp":"#)
        writer.write(number: Double(timestampMicroseconds))
        writer.writeRaw(#","faas":{"execution":"#)
        writer.write(string: report.requestID)
        if let coldStartDuration { writer.writeRaw(coldStartDuration > 0 ? #","coldstart":true"# : #","coldstart":false"#) }
        if let functionARN, !functionARN.isEmpty {
            writer.writeRaw(#","id":"#)
            writer.write(string: functionARN)
        }
        writer.writeRaw(#"},"samples":{"#)
        var firstSample = true
        func sample(_ name: String, _ value: Double) {
            writer.writeRaw(firstSample ? #"""# : #",""#)
            firstSample = false
            writer.writeRaw(name)
            writer.writeRaw(#"":{"value":"#)
            writer.write(number: value)
            writer.writeRaw("}")
        }
        sample("faas.duration", report.durationMilliseconds)
        if let billed = report.billedDurationMilliseconds { sample("faas.billed_duration", billed) }
        if let total = report.memorySizeMB {
            sample("system.memory.total", total * megabyte)
            if let used = report.maxMemoryUsedMB { sample("system.memory.actual.free", max(0, total - used) * megabyte) }
        }
        if let restore = report.restoreDurationMilliseconds { sample("faas.restore_duration", restore) }
        if let start = invocationStartMilliseconds, let deadline = deadlineMilliseconds, deadline > 0 {
            sample("faas.timeout", timeoutMilliseconds(deadline: deadline, start: start))
        }
        if let coldStartDuration { sample("faas.coldstart_duration", coldStartDuration) }
        writer.writeRaw("}}}")
        return writer.bytes
    }

    /// The configured timeout, recovered from the deadline: the span rounded up to whole seconds.
    /// Up to `clockSlackMilliseconds` over a whole second counts as that second: the platform and
    /// the extension each round their clock to milliseconds, so a span can read a little long.
    package static func timeoutMilliseconds(deadline: Int64, start: Int64) -> Double {
        let span = Double(max(0, deadline - start - clockSlackMilliseconds))
        return (span / 1000).rounded(.up) * 1000
    }

    static let clockSlackMilliseconds: Int64 = 2
}
