package import JSON

/// A `/register/transaction` body: an optional metadata line and one transaction with an id.
/// Checked as strictly as a parse, but kept as bytes: only a proxy transaction (rare) needs its
/// values, and parsing every registration cost more than the rest of its handling.
package struct TransactionRegistration: Equatable, Sendable {
    package var metadata: [UInt8]?
    package var transaction: RegisteredTransaction

    package struct Failure: Error, Equatable, Sendable, CustomStringConvertible {
        /// 400 for a malformed body, 422 for a transaction without an id.
        package let status: Int
        package let reason: String
        package var description: String { reason }
    }

    /// - Parameter checkedMetadata: as `IntakePayload`'s.
    package init(ndjson body: [UInt8], checkedMetadata: [UInt8] = []) throws(Failure) {
        self = try body.withUnsafeBufferPointer { (buffer) throws(Failure) in
            try TransactionRegistration(ndjson: buffer, checkedMetadata: checkedMetadata)
        }
    }

    private init(ndjson body: UnsafeBufferPointer<UInt8>, checkedMetadata: [UInt8]) throws(Failure) {
        var metadata: [UInt8]?
        var transaction: UnsafeBufferPointer<UInt8>?
        for line in NDJSONLines(body) where !line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
            if metadata == nil, transaction == nil, !checkedMetadata.isEmpty, checkedMetadata.hasSameBytes(as: line) {
                metadata = checkedMetadata
                continue
            }
            let scanned: ScannedObject?
            do {
                scanned = try JSONParser.scanObject(line)
            } catch {
                throw Failure(status: 400, reason: "\(error)")
            }
            guard let scanned, scanned.memberCount == 1 else {
                throw Failure(status: 400, reason: "each line must be a JSON object with one key")
            }
            if scanned.firstKey == "metadata", scanned.firstValueIsObject, metadata == nil, transaction == nil {
                metadata = Array(line)
            } else if scanned.firstKey == "transaction", scanned.firstValueIsObject, transaction == nil {
                transaction = UnsafeBufferPointer(rebasing: line[scanned.firstValue])
            } else {
                throw Failure(status: 400, reason: "expected an optional metadata line and one transaction")
            }
        }
        guard let transaction, let id = JSONParser.stringMember("id", of: transaction), !id.isEmpty else {
            throw Failure(status: 422, reason: "the transaction needs an id")
        }
        self.metadata = metadata
        self.transaction = RegisteredTransaction(id: id, json: Array(transaction))
    }
}

/// A registered transaction as the agent sent it (a checked JSON object), and its id.
package struct RegisteredTransaction: Equatable, Sendable {
    package let id: String
    package let json: [UInt8]

    /// Its members, parsed when a proxy transaction is made of it.
    package var object: JSONObject? { (try? JSONParser.parse(json))?.objectValue }
}
