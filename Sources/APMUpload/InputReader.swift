import Transport

/// Reads an input (a file, or stdin for `-`) whole and inflates it when it starts with gzip's
/// magic bytes, whatever its name. Inputs are read before anything is sent, because the whole
/// input is validated first and stdin cannot be read twice.
enum InputReader {
    /// A gzip'd input inflating past this is refused rather than exhausting memory.
    static let maxInflatedBytes = 1 << 30

    static func read(_ path: String) throws(UploadFailure) -> NDJSONInput {
        let name = FileBytes.displayName(path)
        let raw = try FileBytes.contents(of: path)
        guard isGzip(raw) else { return NDJSONInput(name: name, bytes: raw, wasGzipped: false) }
        do {
            var inflater = try Inflater()
            let inflated = try inflater.inflate(raw, format: .gzip, maxOutputBytes: maxInflatedBytes)
            return NDJSONInput(name: name, bytes: inflated, wasGzipped: true)
        } catch {
            throw UploadFailure(.usage, "\(name): cannot inflate gzip input: \(error)")
        }
    }

    /// gzip's magic bytes, 1f 8b (RFC 1952 §2.3.1).
    static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }
}
