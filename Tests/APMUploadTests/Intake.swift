/// ndjson inputs for the tests.
enum Intake {
    static let metadata = #"{"metadata":{"service":{"name":"upload-test","agent":{"name":"go","version":"2.0.0"}}}}"#

    /// A transaction line whose id is `index`, padded to about `size` bytes.
    static func transaction(_ index: Int, size: Int = 0) -> String {
        let line = #"{"transaction":{"id":"\#(index)","trace_id":"0123456789abcdef0123456789abcdef","name":"GET /","type":"request","duration":1.5,"span_count":{"started":0}"#
        let padding = size > line.count + 30 ? #","context":{"custom":{"pad":"\#(String(repeating: "x", count: size - line.count - 30))"}}"# : ""
        return line + padding + "}}"
    }

    /// Metadata, then `count` transactions, one a line.
    static func ndjson(events count: Int, eventSize: Int = 0) -> String {
        ([metadata] + (0..<count).map { transaction($0, size: eventSize) }).joined(separator: "\n") + "\n"
    }

    /// Metadata, a transaction, a span and an error.
    static let mixed = [
        metadata,
        transaction(1),
        #"{"span":{"id":"s1","transaction_id":"1","trace_id":"0123456789abcdef0123456789abcdef","parent_id":"1","name":"SELECT","type":"db","start":0.1,"duration":0.5}}"#,
        #"{"error":{"id":"e1","exception":{"message":"boom"}}}"#,
    ].joined(separator: "\n") + "\n"
}
