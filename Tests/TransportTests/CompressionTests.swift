import Foundation
import TestSupport
import Testing
import Transport

@Suite("Compression")
struct CompressionTests {
    /// Sample inputs: empty, tiny, APM-like ndjson of 10 MB, and incompressible random bytes.
    static let inputs: [(String, [UInt8])] = {
        var ndjson: [UInt8] = []
        var index = 0
        while ndjson.count < 10 << 20 {
            ndjson += Array(#"{"span":{"id":"\#(index)","name":"SELECT FROM orders","type":"db.mysql","duration":1.\#(index % 97)}}"#.utf8)
            ndjson.append(0x0A)
            index += 1
        }
        var generator = SystemRandomNumberGenerator()
        let random = (0..<(256 << 10)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return [("empty", []), ("tiny", Array("{}".utf8)), ("ndjson 10 MB", ndjson), ("random", random)]
    }()

    private func gzip(_ input: [UInt8], level: Int = 1, chunk: Int = 64 << 10) throws -> [UInt8] {
        var stream = try GzipStream(level: level)
        var offset = 0
        repeat {
            let end = min(input.count, offset + chunk)
            try stream.write(Array(input[offset..<end]))
            offset = end
        } while offset < input.count
        try stream.finish()
        return stream.output
    }

    @Test("gzip output is what the system gzip and Python's zlib inflate back", arguments: 0..<4)
    func gzipRoundTripsThroughOtherImplementations(caseIndex: Int) throws {
        let (name, input) = Self.inputs[caseIndex]
        let compressed = try gzip(input)
        let directory = try Subprocess.temporaryDirectory()
        let compressedPath = directory + "/data.gz"
        try Data(compressed).write(to: URL(fileURLWithPath: compressedPath))

        let viaGzip = try Subprocess.run(["gzip", "-dc"], inputFile: compressedPath)
        #expect(Array(viaGzip) == input, "gzip -d of \(name)")
        let viaPython = try Subprocess.run(
            ["python3", "-c", "import sys, zlib; sys.stdout.buffer.write(zlib.decompress(sys.stdin.buffer.read(), 31))"],
            inputFile: compressedPath)
        #expect(Array(viaPython) == input, "Python zlib of \(name)")
        var inflater = try Inflater()
        let viaInflater = try inflater.inflate(compressed, format: .gzip, maxOutputBytes: 16 << 20)
        #expect(viaInflater == input, "Inflater of \(name)")
    }

    @Test("reset starts a new, independent stream on the same encoder")
    func resetReusesTheEncoder() throws {
        var stream = try GzipStream()
        try stream.write("first stream")
        try stream.finish()
        let first = stream.output
        try stream.reset()
        #expect(stream.outputCount == 0 && stream.inputCount == 0)
        try stream.write("second")
        try stream.finish()
        var inflater = try Inflater()
        #expect(try inflater.inflate(first, format: .gzip, maxOutputBytes: 100) == Array("first stream".utf8))
        #expect(try inflater.inflate(stream.output, format: .gzip, maxOutputBytes: 100) == Array("second".utf8))
    }

    @Test("an encoder made ready lazily: reset before its first write, then used, finished untouched")
    func lazyStart() throws {
        // zlib's state is made by the first write or finish (Sources/CShims/gzip.c).
        var stream = try GzipStream()
        try stream.reset()
        try stream.write([])
        try stream.write("after a reset of nothing")
        try stream.finish()
        var inflater = try Inflater()
        #expect(try inflater.inflate(stream.output, format: .gzip, maxOutputBytes: 100) == Array("after a reset of nothing".utf8))
        var untouched = try GzipStream()
        try untouched.finish()
        #expect(try inflater.inflate(untouched.output, format: .gzip, maxOutputBytes: 100) == [])
        #expect(untouched.outputCount == 20, "an empty gzip member: 10-byte header, empty block, 8-byte trailer")
    }

    @Test("writing after finish is a usage error")
    func writeAfterFinishFails() throws {
        var stream = try GzipStream()
        try stream.finish()
        #expect(throws: TransportError.self) { try stream.write("late") }
    }

    @Test("zlib and raw deflate inflate, and automatic tells gzip from zlib")
    func inflatesEveryFormat() throws {
        let text = Array(String(repeating: "deflate me ", count: 100).utf8)
        let directory = try Subprocess.temporaryDirectory()
        let inputPath = directory + "/plain"
        try Data(text).write(to: URL(fileURLWithPath: inputPath))
        let zlibBytes = Array(try Subprocess.run(
            ["python3", "-c", "import sys, zlib; sys.stdout.buffer.write(zlib.compress(sys.stdin.buffer.read()))"],
            inputFile: inputPath))
        let rawBytes = Array(try Subprocess.run(
            ["python3", "-c", "import sys, zlib; c = zlib.compressobj(6, zlib.DEFLATED, -15); sys.stdout.buffer.write(c.compress(sys.stdin.buffer.read()) + c.flush())"],
            inputFile: inputPath))
        var inflater = try Inflater()
        #expect(try inflater.inflate(zlibBytes, format: .zlib, maxOutputBytes: 4096) == text)
        #expect(try inflater.inflate(zlibBytes, format: .automatic, maxOutputBytes: 4096) == text)
        #expect(try inflater.inflate(rawBytes, format: .raw, maxOutputBytes: 4096) == text)
        #expect(try inflater.inflate(try gzip(text), format: .automatic, maxOutputBytes: 4096) == text)
    }

    @Test("a small bomb that would expand past the cap fails with tooLarge")
    func decompressionBombIsRejected() throws {
        // At level 9, 1 MiB of zeros fits in about 1 KB: a thousandfold expansion.
        let bomb = try gzip([UInt8](repeating: 0, count: 1 << 20), level: 9)
        #expect(bomb.count < 1200)
        let error = try #require(throws: TransportError.self) {
            var inflater = try Inflater()
            return try inflater.inflate(bomb, format: .gzip, maxOutputBytes: 64 << 10)
        }
        #expect(error.code == .tooLarge)
    }

    @Test("truncated, corrupt and trailing-garbage streams fail cleanly")
    func brokenStreamsFail() throws {
        let good = try gzip(Array(String(repeating: "truncate me ", count: 200).utf8))
        var inflater = try Inflater()
        for cut in [1, 10, good.count / 2, good.count - 1] {
            let error = try #require(throws: TransportError.self) {
                try inflater.inflate(Array(good.prefix(cut)), format: .gzip, maxOutputBytes: 1 << 20)
            }
            #expect(error.code == .truncated || error.code == .corrupt, "cut at \(cut): \(error)")
        }
        var corrupt = good
        corrupt[good.count / 2] ^= 0xFF
        corrupt[good.count / 2 + 1] ^= 0xFF
        let corruptError = try #require(throws: TransportError.self) {
            try inflater.inflate(corrupt, format: .gzip, maxOutputBytes: 1 << 20)
        }
        #expect(corruptError.code == .corrupt)
        let notGzip = try #require(throws: TransportError.self) {
            try inflater.inflate(Array("plain text, not gzip".utf8), format: .gzip, maxOutputBytes: 1 << 20)
        }
        #expect(notGzip.code == .corrupt)
        let trailing = try #require(throws: TransportError.self) {
            try inflater.inflate(good + [1, 2, 3], format: .gzip, maxOutputBytes: 1 << 20)
        }
        #expect(trailing.code == .corrupt)
        let empty = try #require(throws: TransportError.self) {
            try inflater.inflate([], format: .gzip, maxOutputBytes: 1 << 20)
        }
        #expect(empty.code == .truncated)
        // The inflater is still usable after failures.
        #expect(try inflater.inflate(good, format: .gzip, maxOutputBytes: 1 << 20).count == 2400)
    }
}
