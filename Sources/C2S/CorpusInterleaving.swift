import Foundation
import Mechanics
import Prompts
import SingleCell

/// Merges the sources' prompt lines into one file in a seeded random interleaving.
///
/// Each next line comes from source `i` with probability (its lines left) / (all lines left),
/// and each source's lines keep their own order. So any stretch of the corpus, not only the
/// whole, mixes the sources in proportion to their examples: a reader that takes the file in
/// blocks (a streaming trainer shuffling blocks, or `head -n`) sees every dataset, not one
/// dataset after another. Memory is one line buffer per source.
enum CorpusInterleaving {
    /// Writes the lines of the files `parts` (holding `counts[i]` lines each) to `writer`,
    /// interleaved as described, the same for the same `seed`.
    static func merge(parts: [String], counts: [Int], seed: UInt64, into writer: PromptWriter) throws {
        var files: [UnsafeMutablePointer<FILE>] = []
        defer { files.forEach { fclose($0) } }
        for part in parts {
            guard let f = fopen(part, "rb") else { throw FileError(part, "cannot be read back (\(String(cString: strerror(errno))))") }
            files.append(f)
        }
        var left = counts
        var total = counts.reduce(0, +)
        var rng = SplitMix64(seed: SplitMix64.derive(seed, 0xC0_4B05))
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while total > 0 {
            // A uniform draw in 0..<total (multiply-shift: the same on every platform and release).
            var r = Int(truncatingIfNeeded: UInt64(total).multipliedFullWidth(by: rng.next()).high)
            var i = 0
            while r >= left[i] { r -= left[i]; i += 1 }
            let n = getline(&line, &capacity, files[i])
            guard n > 0, let text = line else { throw FileError(parts[i], "ended before its \(counts[i]) lines were read back") }
            try writer.write(lines: UnsafeRawBufferPointer(start: text, count: n))
            left[i] -= 1
            total -= 1
        }
    }
}
