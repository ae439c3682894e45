import Foundation
import Mechanics
import SingleCell

/// Everything `convert` needs besides the input and output.
public struct ConversionOptions: Sendable {
    public var preprocessing = PreprocessingOptions()
    /// Seed of the tie-breaking order.
    public var seed: UInt64 = 0
    /// How ties are ordered (see `TieOrder`).
    public var tieOrder: TieOrder = .seeded
    public var naming = GeneNaming()
    /// `obs` columns copied into each line of `cells.jsonl` (the QC metrics `n_genes_by_counts`,
    /// `total_counts` and `pct_counts_mt` may be named too).
    public var obsColumns: [String] = []
    public var threads = Parallel.defaultThreads
    /// Cells read and processed at a time; bounds memory.
    public var blockSize = 4096
    public var overwrite = false
    /// Record the input's SHA-256 in the manifest (off only for sources not backed by a file).
    public var checksum = true
    /// Settings of the inverse-transform fit done while converting; nil skips the fit.
    public var fit: InverseTransformSettings? = InverseTransformSettings()
    /// How the input was read (recorded so the input can be read again the same way).
    public var geneColumn: String?
    public var genesAsRows = false
    /// Format name and matrix label recorded in the manifest.
    public var formatName = ""
    public var matrixLabel = "X"
    /// The organism recorded in the manifest; nil detects it from the gene names' style.
    public var organism: String?
    /// What to do with cell names that are not unique (splits, pairs and results are keyed by
    /// cell name, so repeated names would share them).
    public var duplicateCellNames = DuplicateCellNames.keep

    public init() {}
}

/// What conversion does with repeated cell names.
public enum DuplicateCellNames: String, Sendable {
    /// Keep them as they are (the library's default, for inputs converted on the fly).
    case keep
    /// Refuse the input, naming a repeated name.
    case error
    /// Rename repeats as anndata's `obs_names_make_unique` does (see ``uniqueNames(_:)``).
    case makeUnique

    /// anndata's `make_index_unique(join="-")`: the first occurrence keeps its name, later ones
    /// get `-1`, `-2`, … (the next number whose name is not already taken).
    public static func uniqueNames(_ names: [String]) -> (names: [String], renamed: Int) {
        var seen = Set<String>(), taken = Set(names), counter: [String: Int] = [:]
        var out = names, renamed = 0
        for (i, name) in names.enumerated() where !seen.insert(name).inserted {
            while true {
                counter[name, default: 0] += 1
                let candidate = "\(name)-\(counter[name]!)"
                if taken.insert(candidate).inserted { out[i] = candidate; break }
            }
            renamed += 1
        }
        return (out, renamed)
    }

    /// The first name that occurs more than once, how often, and how many names repeat.
    public static func firstRepeat(_ names: [String]) -> (name: String, count: Int, repeated: Int)? {
        var counts: [String: Int] = [:]
        for n in names { counts[n, default: 0] += 1 }
        guard let first = names.first(where: { counts[$0]! > 1 }) else { return nil }
        return (first, counts[first]!, counts.values.filter { $0 > 1 }.count)
    }
}

/// Progress callbacks: a phase name, cells done, cells in the phase.
public typealias ConversionProgress = (_ phase: String, _ done: Int, _ total: Int) -> Void
