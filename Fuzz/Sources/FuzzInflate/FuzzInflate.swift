import FuzzSupport
import Transport

/// The bounded inflater: gzip, zlib and raw deflate, with a small cap so bombs are exercised.
@_cdecl("FuzzInflate_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, size in
        guard size > 0, let data else { return 0 }
        let formats: [Inflater.Format] = [.gzip, .zlib, .raw, .automatic]
        let format = formats[Int(data[0]) % formats.count]
        var inflater = try! Inflater()
        if let output = try? inflater.inflate(UnsafeRawBufferPointer(start: data + 1, count: size - 1), format: format, maxOutputBytes: 64 << 10) {
            precondition(output.count <= 64 << 10, "the cap was passed")
        }
        return 0
    }
}
