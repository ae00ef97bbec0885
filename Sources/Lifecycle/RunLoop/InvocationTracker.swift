import JSON
import Transport

/// The invocation table: what the extension knows of each recent invocation (from INVOKE, the
/// agent's registration and reports, and telemetry), and the APM events that knowledge makes:
/// platform metricsets, function logs, proxy transactions.
actor InvocationTracker {
    private struct Record {
        var requestID: String
        var functionARN: String
        var deadlineMilliseconds: Int64
        /// Wall-clock ms when the extension received the INVOKE.
        var startMilliseconds: Int64
        var registeredTransaction: RegisteredTransaction?
        var runtimeDone: (status: String, timeMicroseconds: Int64?)?
        var reportReceived = false
        var proxySent = false
    }

    /// Recent invocations, oldest first: with one invocation at a time a report arrives at most
    /// one invocation late; on Managed Instances as many may overlap as the function's concurrency.
    private var records: [Record] = []
    private static let maxRecords = 256
    /// Where each record is: its position counted from the first record ever kept, so that
    /// dropping the oldest moves nothing (a scan of the records compared every request id).
    private var positionByRequestID: [String: Int] = [:]
    /// The position of `records[0]`.
    private var firstPosition = 0
    /// Transaction ids the agent reported itself (recent ones).
    private var reportedTransactionIDs: [String] = []
    /// The request id of the latest `platform.start`: with one invocation at a time, function log
    /// lines after it belong to it.
    private var loggingRequestID: String?
    /// Invocations between their `platform.start` and `platform.report`, when several may overlap.
    private var openRequestIDs: [String] = []
    /// Lambda Managed Instances: invocations overlap, there is no INVOKE and no runtimeDone.
    private var concurrentInvocations: Bool
    private var functionARN: String?
    /// Open while every invocation seen has its report.
    private let reportsComplete = DeadlineGate(open: true)

    init(concurrentInvocations: Bool = false) {
        self.concurrentInvocations = concurrentInvocations
    }

    /// Registration found invocations overlap here (it ends before any telemetry arrives).
    func setConcurrentInvocations() {
        concurrentInvocations = true
    }

    // MARK: - From the run loop and the receiver

    func invocationStarted(_ invocation: LambdaEvent.Invocation, atMilliseconds start: Int64) {
        functionARN = invocation.functionARN
        if let index = index(of: invocation.requestID) {
            records[index].functionARN = invocation.functionARN
            records[index].deadlineMilliseconds = invocation.deadlineMilliseconds
            records[index].startMilliseconds = start
            return
        }
        append(Record(
            requestID: invocation.requestID, functionARN: invocation.functionARN,
            deadlineMilliseconds: invocation.deadlineMilliseconds, startMilliseconds: start))
        reportsComplete.close()
    }

    func transactionRegistered(requestID: String, transaction: RegisteredTransaction) {
        if let index = index(of: requestID) {
            records[index].registeredTransaction = transaction
        } else {
            // The agent can register before the extension has seen the INVOKE.
            var record = Record(
                requestID: requestID, functionARN: functionARN ?? "", deadlineMilliseconds: 0,
                startMilliseconds: WallClock.nowMilliseconds)
            record.registeredTransaction = transaction
            append(record)
        }
    }

    func transactionsReported(_ ids: [String]) {
        reportedTransactionIDs.append(contentsOf: ids)
        if reportedTransactionIDs.count > 256 { reportedTransactionIDs.removeFirst(reportedTransactionIDs.count - 256) }
    }

    // MARK: - Telemetry

    /// Books a batch of telemetry; returns the APM events it makes, as JSON lines.
    func handle(_ events: [TelemetryEvent], captureLogs: Bool) -> [[UInt8]] {
        var emitted: [[UInt8]] = []
        for event in events {
            switch event {
            case .start(let requestID):
                loggingRequestID = requestID
                if concurrentInvocations, !openRequestIDs.contains(requestID) { openRequestIDs.append(requestID) }
            case .runtimeDone(let requestID, let status, let time):
                guard let index = index(of: requestID) else { continue }
                records[index].runtimeDone = (status, time)
                if status != "success", let proxy = proxyTransaction(at: index, result: status, endMicroseconds: time) {
                    emitted.append(proxy)
                }
            case .report(let report):
                openRequestIDs.removeAll { $0 == report.requestID }
                let record = index(of: report.requestID).map { records[$0] }
                if let index = index(of: report.requestID) {
                    records[index].reportReceived = true
                    // Where there is no runtimeDone (Managed Instances) the report tells how it ended.
                    if let status = report.status, status != "success", records[index].runtimeDone == nil,
                        let proxy = proxyTransaction(at: index, result: status, durationMilliseconds: report.durationMilliseconds)
                    {
                        emitted.append(proxy)
                    }
                }
                let metricset = PlatformMetrics.metricset(
                    report: report, functionARN: record?.functionARN ?? functionARN,
                    invocationStartMilliseconds: record?.startMilliseconds, deadlineMilliseconds: record?.deadlineMilliseconds,
                    timestampMicroseconds: report.timeMicroseconds ?? WallClock.nowMicroseconds,
                    coldStartKnown: !concurrentInvocations)
                emitted.append(metricset)
                if records.allSatisfy({ $0.reportReceived || $0.deadlineMilliseconds == 0 }) { reportsComplete.open() }
            case .function(let time, let record):
                guard captureLogs else { continue }
                let requestID = FunctionLog.requestID(in: record) ?? requestIDForUnnamedLog
                let arn = requestID.flatMap { id in index(of: id).map { records[$0].functionARN } } ?? functionARN
                let log = FunctionLog.event(
                    record: record, timestampMicroseconds: time ?? WallClock.nowMicroseconds, functionARN: arn,
                    requestID: requestID)
                emitted.append(log)
            case .other:
                continue
            }
        }
        return emitted
    }

    /// Whom a log line that names no request id belongs to: the one invocation running, or, with
    /// overlapping invocations, nobody rather than a guess.
    private var requestIDForUnnamedLog: String? {
        guard concurrentInvocations else { return loggingRequestID }
        return openRequestIDs.count == 1 ? openRequestIDs[0] : nil
    }

    // MARK: - Shutdown

    /// Waits (at most until `deadline`) for the reports of invocations that have none yet: the
    /// last invocation's report arrives only at SHUTDOWN.
    nonisolated func waitForReports(until deadline: Deadline) async {
        await reportsComplete.wait(until: deadline)
    }

    /// Proxy transactions for every registered transaction the agent never reported, when the
    /// environment ends by `reason` (timeout or failure).
    func proxyTransactions(shutdownReason reason: String) -> [[UInt8]] {
        guard reason != "spindown" else { return [] }
        var emitted: [[UInt8]] = []
        for index in records.indices where records[index].runtimeDone == nil || records[index].runtimeDone?.status != "success" {
            let end = min(WallClock.nowMilliseconds, records[index].deadlineMilliseconds > 0 ? records[index].deadlineMilliseconds : .max)
            if let proxy = proxyTransaction(at: index, result: reason, endMicroseconds: end * 1000) { emitted.append(proxy) }
        }
        return emitted
    }

    // MARK: - Helpers

    /// - Parameters:
    ///   - endMicroseconds: when it ended; nil: now, or its deadline if that came first.
    ///   - durationMilliseconds: how long it ran, where the platform said so (a report).
    private func proxyTransaction(
        at index: Int, result: String, endMicroseconds: Int64? = nil, durationMilliseconds: Double? = nil
    ) -> [UInt8]? {
        let record = records[index]
        guard !record.proxySent, let registered = record.registeredTransaction, !reportedTransactionIDs.contains(registered.id),
            let transaction = registered.object
        else { return nil }
        records[index].proxySent = true
        let startMicroseconds = transaction["timestamp"]?.int64Value ?? record.startMilliseconds * 1000
        let deadlineMicroseconds = record.deadlineMilliseconds > 0 ? record.deadlineMilliseconds * 1000 : Int64.max
        let endMicroseconds = endMicroseconds ?? min(WallClock.nowMicroseconds, deadlineMicroseconds)
        let duration = durationMilliseconds ?? Double(endMicroseconds - startMicroseconds) / 1000
        return ProxyTransaction.event(registered: transaction, result: result, durationMilliseconds: duration).serializedBytes
    }

    private func index(of requestID: String) -> Int? {
        positionByRequestID[requestID].map { $0 - firstPosition }
    }

    private func append(_ record: Record) {
        positionByRequestID[record.requestID] = firstPosition + records.count
        records.append(record)
        if records.count > Self.maxRecords {
            positionByRequestID[records.removeFirst().requestID] = nil
            firstPosition += 1
        }
    }
}
