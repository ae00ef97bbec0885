/// Realistic APM intake v2 ndjson for the benchmarks: a metadata line, then transactions and
/// spans of about 0.5-1 KB each, as an agent in a Lambda function sends them. Deterministic (a
/// fixed-seed generator), so every run compresses the same bytes.
public enum APMFixtures {
    /// The metadata line, without its newline.
    public static let metadata: [UInt8] = Array(
        #"{"metadata":{"service":{"name":"orders","version":"1.4.2","environment":"production","agent":{"name":"nodejs","version":"4.7.0"},"language":{"name":"javascript"},"runtime":{"name":"node","version":"20.11.1"},"framework":{"name":"AWS Lambda"}},"process":{"pid":8,"title":"/var/lang/bin/node"},"system":{"hostname":"169.254.10.1","architecture":"x64","platform":"linux"},"cloud":{"provider":"aws","region":"eu-west-1","service":{"name":"lambda"},"account":{"id":"123456789012"}}}}"#
            .utf8)

    /// Event lines (each ending in a newline) until at least `bytes` bytes, cut to exactly `bytes`
    /// (the last line may be partial: compressors don't care about line boundaries).
    public static func ndjson(bytes: Int, seed: UInt64 = 0x5EED) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes + 2048)
        var generator = SplitMix64(seed: seed)
        while output.count < bytes { output += event(&generator) }
        return Array(output.prefix(bytes))
    }

    /// `count` whole event lines (each ending in a newline).
    public static func events(count: Int, seed: UInt64 = 0x5EED) -> [[UInt8]] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in event(&generator) }
    }

    private static let spanNames = [
        "SELECT FROM orders", "DynamoDB GetItem orders-table", "GET api.stripe.com", "S3 PutObject invoices",
        "SQS SendMessage fulfilment", "Redis GET session", "POST internal.payments/charge", "SNS Publish events",
    ]
    private static let transactionNames = ["GET /orders/{id}", "POST /orders", "PUT /orders/{id}/status", "orders-handler"]

    private static func event(_ generator: inout SplitMix64) -> [UInt8] {
        let traceID = hex(&generator, 16)
        let parentID = hex(&generator, 8)
        let timestamp = 1_732_900_000_000_000 + generator.next() % 1_000_000_000
        let line: String
        if generator.next() % 4 == 0 {
            let name = transactionNames[Int(generator.next() % UInt64(transactionNames.count))]
            let requestID = "\(hex(&generator, 4))-\(hex(&generator, 2))-\(hex(&generator, 2))-\(hex(&generator, 2))-\(hex(&generator, 6))"
            line = #"{"transaction":{"id":"\#(parentID)","trace_id":"\#(traceID)","name":"\#(name)","type":"request","timestamp":\#(timestamp),"duration":\#(Double(generator.next() % 500_000) / 1000),"result":"HTTP 2xx","outcome":"success","sampled":true,"span_count":{"started":\#(generator.next() % 12),"dropped":0},"context":{"request":{"method":"GET","url":{"full":"https://abc123.execute-api.eu-west-1.amazonaws.com/prod/orders/\#(generator.next() % 100_000)","hostname":"abc123.execute-api.eu-west-1.amazonaws.com","pathname":"/prod/orders"},"headers":{"user-agent":"Mozilla/5.0","accept":"application/json"}},"response":{"status_code":200}},"faas":{"coldstart":false,"execution":"\#(requestID)","trigger":{"type":"http","request_id":"\#(hex(&generator, 8))"},"id":"arn:aws:lambda:eu-west-1:123456789012:function:orders","name":"orders","version":"$LATEST"}}}"#
        } else {
            let name = spanNames[Int(generator.next() % UInt64(spanNames.count))]
            line = #"{"span":{"id":"\#(hex(&generator, 8))","transaction_id":"\#(parentID)","parent_id":"\#(parentID)","trace_id":"\#(traceID)","name":"\#(name)","type":"db","subtype":"dynamodb","action":"query","timestamp":\#(timestamp),"duration":\#(Double(generator.next() % 90_000) / 1000),"outcome":"success","sync":false,"context":{"db":{"instance":"eu-west-1","statement":"\#(name) WHERE id = \#(generator.next() % 1_000_000)","type":"dynamodb"},"destination":{"address":"dynamodb.eu-west-1.amazonaws.com","port":443,"service":{"resource":"dynamodb/orders-table","type":"","name":""}},"service":{"target":{"type":"dynamodb","name":"orders-table"}}},"stacktrace":[{"filename":"handler.js","lineno":\#(generator.next() % 300),"function":"getOrder"}]}}"#
        }
        return Array(line.utf8) + [0x0A]
    }

    private static func hex(_ generator: inout SplitMix64, _ bytes: Int) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for _ in 0..<bytes {
            let byte = UInt8(truncatingIfNeeded: generator.next())
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 15)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// A tiny deterministic generator (SplitMix64).
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
