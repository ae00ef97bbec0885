import Transport

/// Compresses batches as streams: each line is deflated as it is written, so finishing a batch
/// only writes the gzip trailer, and one zlib state serves every batch.
final class BatchEncoder {
    private var stream: GzipStream

    init() throws(TransportError) {
        stream = try GzipStream(level: 1)
    }

    /// The gzip'd ndjson body of `plan`: its metadata line, then its events, one per line.
    func encode(_ plan: BatchPlan, lines: [NDJSONLine], input: [UInt8]) throws(TransportError) -> [UInt8] {
        try stream.reset()
        let newline: [UInt8] = [0x0A]
        let result: Result<Void, TransportError> = input.withUnsafeBytes { raw in
            func write(_ index: Int) throws(TransportError) {
                try stream.write(UnsafeRawBufferPointer(rebasing: raw[lines[index].range]))
                try stream.write(newline)
            }
            do throws(TransportError) {
                try write(plan.metadata)
                for index in plan.events { try write(index) }
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
        try stream.finish()
        return stream.output
    }
}
