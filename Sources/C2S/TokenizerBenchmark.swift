import Foundation
import Mechanics
import Transformer

/// Timings of a tokenizer on a file of texts, as bench/tokenizer/ref_encode.py measures the
/// tokenizers library: behind `c2s lm tokenize --benchmark`.
public struct TokenizerBenchmark: Sendable {
    public var texts: Int
    /// Token ids of all texts together.
    public var tokens: Int
    /// Loading `tokenizer.json`.
    public var loadSeconds: Double
    /// Encoding one text at a time.
    public var singleSeconds: Double
    /// Encoding all texts in parallel (`encodeBatch`).
    public var batchSeconds: Double
    /// Decoding every text's ids.
    public var decodeSeconds: Double
    /// A hash of all ids in order (`h = h * 31 + id`), to compare with the reference's.
    public var checksum: UInt64

    /// Encodes and decodes the texts of `settings.input` (its output fields are not used).
    /// Each timing starts from a freshly loaded tokenizer (cold word cache), as the reference
    /// script does; parallel and one-at-a-time encodings that differ are an error.
    public static func measure(_ settings: TextTokenizationSettings) throws -> TokenizerBenchmark {
        let texts = try PromptFile.read(settings.input)
        let folder = URL(fileURLWithPath: settings.tokenizer)
        let special = settings.addSpecialTokens
        func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
        var t = now()
        var tok = try Tokenizer.load(folder: folder)
        let loadSeconds = now() - t
        t = now()
        let single = texts.map { tok.encode($0, addSpecialTokens: special) }
        let singleSeconds = now() - t
        tok = try Tokenizer.load(folder: folder)
        t = now()
        let batch = tok.encodeBatch(texts, addSpecialTokens: special)
        let batchSeconds = now() - t
        guard batch == single else { throw ModelError.input("parallel and one-at-a-time encodings differ") }
        t = now()
        for ids in single { _ = tok.decode(ids) }
        let decodeSeconds = now() - t
        var checksum: UInt64 = 0
        var tokens = 0
        for ids in single {
            tokens += ids.count
            for i in ids { checksum = checksum &* 31 &+ UInt64(UInt32(bitPattern: i)) }
        }
        return TokenizerBenchmark(texts: texts.count, tokens: tokens, loadSeconds: loadSeconds, singleSeconds: singleSeconds,
                                  batchSeconds: batchSeconds, decodeSeconds: decodeSeconds, checksum: checksum)
    }

    /// The one JSON line the benchmark scripts read.
    public var jsonLine: String {
        JSONLine.object([("impl", .string("c2s")), ("texts", .int(texts)), ("tokens", .int(tokens)),
                         ("load_s", .double(loadSeconds)), ("single_s", .double(singleSeconds)),
                         ("batch_s", .double(batchSeconds)), ("decode_s", .double(decodeSeconds)),
                         ("checksum", .number(String(checksum)))])
    }
}
