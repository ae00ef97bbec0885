import ArgumentParser
import Transport

/// `apm-upload send`: validates ndjson inputs, then sends them to APM Server in batches.
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send intake v2 ndjson (files or stdin, plain or gzip'd) to APM Server.",
        discussion: """
            Every input is checked before anything is sent: each line must be a JSON object with exactly one \
            key out of \(EventKind.namesForMessages), the first one metadata. A later metadata line applies \
            to the events after it. Each input is sent in batches that each start with the metadata line; \
            sending stops at the first batch the server refuses.
            """)

    @Argument(help: ArgumentHelp("ndjson files, plain or gzip'd; - or none: stdin.", valueName: "file"))
    var files: [String] = []

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Most events in one request.")
    var batchEvents = BatchSplitter.defaultMaxEvents

    @Option(help: "Most uncompressed bytes in one request (0: no limit); a larger single event goes alone.")
    var batchBytes = BatchSplitter.defaultMaxBytes

    @Flag(help: "Check the input and exit; send nothing.")
    var validateOnly = false

    func validate() throws {
        guard batchEvents >= 1 else { throw ValidationError("--batch-events must be at least 1") }
        guard batchBytes >= 0 else { throw ValidationError("--batch-bytes must not be negative") }
        guard files.filter({ $0 == FileBytes.stdinPath }).count <= 1 else {
            throw ValidationError("stdin (-) can be read only once")
        }
    }

    func run() async throws {
        // Settings first: a missing server is reported before stdin is waited on.
        let settings = validateOnly ? nil : try connection.resolve(ProcessEnvironment())
        let paths = files.isEmpty ? [FileBytes.stdinPath] : files
        if paths.contains(FileBytes.stdinPath), FileBytes.stdinIsTerminal {
            StandardError.line("apm-upload: reading ndjson from stdin (end with Ctrl-D)")
        }
        let inputs = try paths.map { (path) throws(UploadFailure) in
            try Self.readValidated(path)
        }
        guard let settings else {
            for (input, lines) in inputs {
                let events = lines.count { $0.kind != .metadata }
                print("\(input.name): valid, \(lines.count - events) metadata and \(Self.count(events, "event"))\(input.wasGzipped ? " (gzip'd)" : "")")
            }
            return
        }
        try await send(inputs, settings: settings)
    }

    /// Reads an input and checks every line; the first bad one is a usage error naming it.
    static func readValidated(_ path: String) throws(UploadFailure) -> (NDJSONInput, [NDJSONLine]) {
        let input = try InputReader.read(path)
        do {
            return (input, try NDJSONValidator.validate(input.bytes))
        } catch {
            throw UploadFailure(.usage, "\(input.name): \(error)")
        }
    }

    private func send(_ inputs: [(NDJSONInput, [NDJSONLine])], settings: UploadSettings) async throws(UploadFailure) {
        let splitter = BatchSplitter(maxEvents: batchEvents, maxBytes: batchBytes)
        let plans = inputs.map { splitter.split($0.1) }
        let batchCount = plans.reduce(0) { $0 + $1.count }
        let totalBytes = plans.joined().reduce(0) { $0 + $1.uncompressedBytes }
        let session = try UploadSession(settings)
        let encoder: BatchEncoder
        do {
            encoder = try BatchEncoder()
        } catch {
            throw UploadFailure(.usage, "cannot start compression: \(error)")
        }
        let progress = ProgressLine(
            totalBytes: totalBytes,
            enabled: ProgressLine.wanted(totalBytes: totalBytes, stderrIsTerminal: StandardError.isTerminal, verbose: settings.verbose))
        defer { progress.finish() }

        var number = 0
        var sentEvents = 0
        var sentBytes = 0
        for ((input, lines), inputPlans) in zip(inputs, plans) {
            for plan in inputPlans {
                number += 1
                let body: [UInt8]
                do {
                    body = try encoder.encode(plan, lines: lines, input: input.bytes)
                } catch {
                    throw UploadFailure(.usage, "cannot compress batch \(number): \(error)")
                }
                let label = "batch \(number)/\(batchCount)"
                let response = try await session.execute(
                    session.intakeRequest(gzippedBody: body), note: "\(label): \(Self.describe(plan, lines: lines, input: input))")
                sentBytes += plan.uncompressedBytes
                progress.update(batch: number, of: batchCount, sentBytes: sentBytes)
                guard APMServerClient.outcome(status: response.status, body: response.body) == .accepted else {
                    progress.finish()
                    let before = number > 1 ? " (\(Self.count(number - 1, "batch")) before it accepted)" : ""
                    throw UploadFailure(
                        .rejected,
                        "\(label) of \(input.name) refused with \(response.status)\(before)\n\(ServerErrors.describe(response.body))")
                }
                sentEvents += plan.events.count
                if !progress.isEnabled {
                    print("\(label): \(response.status) \(response.bodyText) (\(Self.describe(plan, lines: lines, input: input)), \(plan.uncompressedBytes) bytes, \(body.count) gzip'd)")
                }
            }
        }
        progress.finish()
        print("accepted: \(Self.count(sentEvents, "event")) in \(Self.count(batchCount, "batch"))")
    }

    /// Where a batch comes from: `input.ndjson, 500 events, lines 502-1001`.
    static func describe(_ plan: BatchPlan, lines: [NDJSONLine], input: NDJSONInput) -> String {
        guard let first = plan.events.first, let last = plan.events.last else {
            return "\(input.name), metadata only, line \(lines[plan.metadata].number)"
        }
        return "\(input.name), \(count(plan.events.count, "event")), lines \(lines[first].number)-\(lines[last].number)"
    }

    static func count(_ number: Int, _ noun: String) -> String {
        "\(number) \(noun)\(number == 1 ? "" : noun.hasSuffix("h") ? "es" : "s")"
    }
}
