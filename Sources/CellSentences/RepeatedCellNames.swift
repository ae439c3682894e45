import Foundation
import Mechanics
import SingleCell

/// The repeated cell names of a source, found without holding every name: the same answers as
/// `DuplicateCellNames.firstRepeat` and `uniqueNames` over `source.obs.index`, with memory that
/// grows with the number of repeated names only.
///
/// A first pass hashes every name (64 bits) and writes (hash, row) pairs in sorted runs to an
/// unlinked scratch file; merging the runs gives the rows whose hash occurs more than once, the
/// only rows that can repeat a name. A second pass reads those rows' names, so a hash collision
/// between different names is told apart from a real repeat; when repeats are to be renamed it
/// also collects the names a new name could clash with (`name-<digits>` of a repeated name).
struct RepeatedCellNames {
    /// The first name (in row order) that occurs more than once, how often it occurs, and how
    /// many distinct names repeat; nil when every name is unique.
    let firstRepeat: (name: String, count: Int, repeated: Int)?
    /// With `makeUnique`: the rows renamed, ascending, and their new names.
    let renamedRows: [Int]
    let renamedNames: [String]

    /// One hashed name: 16 bytes on disk.
    struct Entry: Comparable {
        var hash: UInt64
        var row: UInt64
        static func < (a: Entry, b: Entry) -> Bool { a.hash != b.hash ? a.hash < b.hash : a.row < b.row }
    }

    /// Scans `source`'s names in blocks of `blockSize`, sorting at most `runLength` hashes in
    /// memory at a time. With `makeUnique`, repeats are renamed as anndata's
    /// `obs_names_make_unique` does. `hash` is replaceable so tests can make names collide.
    init(_ source: ExpressionSource, blockSize: Int, runLength: Int = 1 << 20, makeUnique: Bool,
         hash: (String) -> UInt64 = RepeatedCellNames.hash) throws {
        let n = source.cellCount
        let blockSize = max(1, blockSize)
        // Pass 1: the rows whose hash is shared, with their hash.
        let candidates = try Self.sharedHashes(source, blockSize: blockSize, runLength: max(2, runLength), hash: hash)
        guard !candidates.isEmpty else {
            firstRepeat = nil; renamedRows = []; renamedNames = []
            return
        }
        let rows = candidates.map { Int($0.row) }.sorted()
        let hashes = Set(candidates.map(\.hash))
        // Pass 2: the candidates' names, and (for renaming) every name of the form
        // `<candidate name>-<digits>`, which a new name must not take.
        var names: [String] = []
        names.reserveCapacity(rows.count)
        var suffixed: [String] = []
        var next = 0
        var start = 0
        while start < n && (makeUnique || next < rows.count) {
            if !makeUnique { start = rows[next] / blockSize * blockSize }
            let range = start..<min(n, start + blockSize)
            let block = try source.readObs(range, columns: []).index
            while next < rows.count && rows[next] < range.upperBound {
                names.append(rows[next] - start < block.count ? block[rows[next] - start] : "")
                next += 1
            }
            if makeUnique {
                for name in block where Self.hasDigitSuffix(name, prefixHashIn: hashes, hash: hash) { suffixed.append(name) }
            }
            start = range.upperBound
        }
        var counts: [String: Int] = [:]
        for name in names { counts[name, default: 0] += 1 }
        let repeated = counts.values.filter { $0 > 1 }.count
        guard let first = names.first(where: { counts[$0]! > 1 }) else {
            firstRepeat = nil; renamedRows = []; renamedNames = []
            return
        }
        firstRepeat = (first, counts[first]!, repeated)
        guard makeUnique else { renamedRows = []; renamedNames = []; return }
        // anndata's make_index_unique over the rows that matter: a name outside `names` never
        // repeats, and a new name `<name>-<k>` can only clash with another repeated name or
        // one of `suffixed`.
        var seen = Set<String>(), taken = Set(names.filter { counts[$0]! > 1 }).union(suffixed)
        var counter: [String: Int] = [:]
        var outRows: [Int] = [], outNames: [String] = []
        for (i, name) in names.enumerated() where counts[name]! > 1 && !seen.insert(name).inserted {
            while true {
                counter[name, default: 0] += 1
                let candidate = "\(name)-\(counter[name]!)"
                if taken.insert(candidate).inserted { outRows.append(rows[i]); outNames.append(candidate); break }
            }
        }
        renamedRows = outRows
        renamedNames = outNames
    }

    /// 64-bit FNV-1a of the name's UTF-8 bytes, mixed (splitmix64's finaliser) so that similar
    /// names spread over all bits.
    static func hash(_ name: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        var name = name
        name.withUTF8 { bytes in
            for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        }
        return SplitMix64.mix(h)
    }

    /// Whether `name` is `<prefix>-<digits>` for some prefix whose hash is in `hashes`.
    static func hasDigitSuffix(_ name: String, prefixHashIn hashes: Set<UInt64>, hash: (String) -> UInt64) -> Bool {
        let bytes = Array(name.utf8)
        var i = bytes.count - 1
        // Every '-' followed only by digits (at least one) may end a repeated name.
        while i > 0, bytes[i] >= 48, bytes[i] <= 57 { i -= 1 }
        guard i < bytes.count - 1, i >= 0, bytes[i] == 45 else { return false }
        let prefix = String(decoding: bytes[..<i], as: UTF8.self)
        return hashes.contains(hash(prefix))
    }

    /// The (hash, row) entries whose hash occurs more than once.
    static func sharedHashes(_ source: ExpressionSource, blockSize: Int, runLength: Int, hash: (String) -> UInt64 = RepeatedCellNames.hash) throws -> [Entry] {
        let n = source.cellCount
        var run: [Entry] = []
        run.reserveCapacity(min(n, runLength))
        var scratch: ScratchFile?
        var runBounds: [Range<Int>] = []  // in entries
        func spill() throws {
            run.sort()
            if scratch == nil { scratch = try ScratchFile() }
            let first = scratch!.size / MemoryLayout<Entry>.stride
            try run.withUnsafeBytes { try scratch!.append($0) }
            runBounds.append(first..<(first + run.count))
            run.removeAll(keepingCapacity: true)
        }
        var start = 0
        while start < n {
            let range = start..<min(n, start + blockSize)
            let names = try source.readObs(range, columns: []).index
            for (k, name) in names.enumerated() {
                if run.count == runLength { try spill() }
                run.append(Entry(hash: hash(name), row: UInt64(start + k)))
            }
            start = range.upperBound
        }
        var shared: [Entry] = []
        var group: [Entry] = []
        func take(_ e: Entry) {
            if let last = group.last, last.hash != e.hash {
                if group.count > 1 { shared += group }
                group.removeAll(keepingCapacity: true)
            }
            group.append(e)
        }
        if let scratch {
            if !run.isEmpty { try spill() }
            try merge(scratch, runs: runBounds, take)
        } else {
            run.sort()
            run.forEach(take)
        }
        if group.count > 1 { shared += group }
        return shared
    }

    /// Calls `body` with the entries of the sorted `runs` of `file` in order, reading each run
    /// through a small buffer.
    static func merge(_ file: ScratchFile, runs: [Range<Int>], _ body: (Entry) -> Void) throws {
        let chunk = 1 << 14
        let stride = MemoryLayout<Entry>.stride
        var buffers = runs.map { _ in [Entry]() }
        var positions = runs.map(\.lowerBound)  // next entry to read from the file
        var cursors = runs.map { _ in 0 }        // next entry of the buffer
        func refill(_ r: Int) throws {
            let count = min(chunk, runs[r].upperBound - positions[r])
            buffers[r] = [Entry](repeating: Entry(hash: 0, row: 0), count: count)
            try buffers[r].withUnsafeMutableBytes { try file.read(into: $0, at: positions[r] * stride) }
            positions[r] += count
            cursors[r] = 0
        }
        for r in runs.indices { try refill(r) }
        while true {
            // Few runs (one per million names): a linear search for the smallest head is enough.
            var best = -1
            for r in runs.indices where cursors[r] < buffers[r].count {
                if best < 0 || buffers[r][cursors[r]] < buffers[best][cursors[best]] { best = r }
            }
            guard best >= 0 else { return }
            body(buffers[best][cursors[best]])
            cursors[best] += 1
            if cursors[best] == buffers[best].count && positions[best] < runs[best].upperBound { try refill(best) }
        }
    }
}
