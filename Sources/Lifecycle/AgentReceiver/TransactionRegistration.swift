package import JSON

/// A `/register/transaction` body: an optional metadata line and one transaction with an id.
package struct TransactionRegistration: Equatable, Sendable {
    package var metadata: [UInt8]?
    package var transaction: JSONObject

    package struct Failure: Error, Equatable, Sendable, CustomStringConvertible {
        /// 400 for a malformed body, 422 for a transaction without an id.
        package let status: Int
        package let reason: String
        package var description: String { reason }
    }

    package init(ndjson body: [UInt8]) throws(Failure) {
        var metadata: [UInt8]?
        var transaction: JSONObject?
        for line in body.split(separator: 0x0A) where !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) {
            let value: JSONValue
            do {
                value = try line.withUnsafeBufferPointer { (buffer) throws(JSONParseError) in try JSONParser.parse(buffer) }
            } catch {
                throw Failure(status: 400, reason: "\(error)")
            }
            guard let object = value.objectValue, object.members.count == 1 else {
                throw Failure(status: 400, reason: "each line must be a JSON object with one key")
            }
            if object["metadata"]?.objectValue != nil, metadata == nil, transaction == nil {
                metadata = Array(line)
            } else if let inner = object["transaction"]?.objectValue, transaction == nil {
                transaction = inner
            } else {
                throw Failure(status: 400, reason: "expected an optional metadata line and one transaction")
            }
        }
        guard let transaction, let id = transaction["id"]?.stringValue, !id.isEmpty else {
            throw Failure(status: 422, reason: "the transaction needs an id")
        }
        self.metadata = metadata
        self.transaction = transaction
    }
}
