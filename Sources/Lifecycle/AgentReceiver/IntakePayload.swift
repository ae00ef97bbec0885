import JSON

/// One agent request to `/intake/v2/events`, checked line by line: a metadata line first, then
/// events each with exactly one key out of the intake v2 event types. A bad line refuses the whole
/// payload with its number and why, so one broken agent request cannot spoil a batch.
package struct IntakePayload: Equatable, Sendable {
    /// The metadata line as received, without its newline.
    package var metadata: [UInt8]
    /// The event lines, each ending in a newline.
    package var events: [UInt8]
    package var eventCount: Int
    /// `transaction.id` of each transaction event.
    package var transactionIDs: [String]

    package struct Failure: Error, Equatable, Sendable, CustomStringConvertible {
        package let line: Int
        package let reason: String
        package var description: String { "line \(line): \(reason)" }
    }

    /// - Parameter checkedMetadata: a metadata line taken before: a first line with its bytes is
    ///   taken without checking it again (an agent sends the same one with every request).
    package init(ndjson body: [UInt8], checkedMetadata: [UInt8] = []) throws(Failure) {
        self = try body.withUnsafeBufferPointer { (buffer) throws(Failure) in
            try IntakePayload(ndjson: buffer, checkedMetadata: checkedMetadata)
        }
    }

    private init(ndjson body: UnsafeBufferPointer<UInt8>, checkedMetadata: [UInt8]) throws(Failure) {
        var metadata: [UInt8]?
        var events: [UInt8] = []
        events.reserveCapacity(body.count)
        var eventCount = 0
        var transactionIDs: [String] = []
        var lineNumber = 0
        for line in NDJSONLines(body) {
            lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            if metadata == nil, !checkedMetadata.isEmpty, checkedMetadata.hasSameBytes(as: line) {
                metadata = checkedMetadata
                continue
            }

            // Checked as strictly as a parse, without building the line's values (they go on as bytes).
            let scanned: ScannedObject?
            do {
                scanned = try JSONParser.scanObject(line)
            } catch {
                throw Failure(line: lineNumber, reason: "\(error)")
            }
            guard let scanned, scanned.memberCount == 1, let key = scanned.firstKey else {
                throw Failure(line: lineNumber, reason: "expected an object with exactly one key")
            }
            guard scanned.firstValueIsObject else {
                throw Failure(line: lineNumber, reason: "the value of \"\(key)\" must be an object")
            }
            if metadata == nil {
                guard key == "metadata" else {
                    throw Failure(line: lineNumber, reason: "the first line must be metadata, found \"\(key)\"")
                }
                metadata = Array(line)
                continue
            }
            switch key {
            case "transaction":
                if let id = JSONParser.stringMember("id", of: UnsafeBufferPointer(rebasing: line[scanned.firstValue])) {
                    transactionIDs.append(id)
                }
            case "span", "error", "metricset", "log": break
            default: throw Failure(line: lineNumber, reason: "unknown event type \"\(key)\"")
            }
            events.append(contentsOf: line)
            events.append(0x0A)
            eventCount += 1
        }
        guard let metadata else { throw Failure(line: max(1, lineNumber), reason: "no metadata line") }
        self.metadata = metadata
        self.events = events
        self.eventCount = eventCount
        self.transactionIDs = transactionIDs
    }
}
