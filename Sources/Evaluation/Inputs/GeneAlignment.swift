import SingleCell

/// The genes several files share, matched by name (the `var` index or the chosen gene column).
///
/// The shared genes keep the order of the first (reference) file. Names are compared exactly;
/// a name that occurs twice in one file is an error, since its column would be ambiguous.
public struct GeneAlignment: Sendable {
    /// Shared gene names, in the reference file's order.
    public let genes: [String]
    /// For each file (in the order given), the column of each shared gene.
    public let columns: [[Int]]
    /// For each file, how many of its genes are not shared.
    public let dropped: [Int]

    /// Aligns `files` (path and gene names); the first is the reference.
    public init(_ files: [(path: String, genes: [String])]) throws {
        precondition(!files.isEmpty)
        var maps: [[String: Int]] = []
        for f in files {
            var map: [String: Int] = [:]
            for (i, g) in f.genes.enumerated() {
                if map[g] != nil { throw FileError(f.path, "gene '\(g)' appears more than once in var; genes must have unique names to be matched between files") }
                map[g] = i
            }
            maps.append(map)
        }
        let shared = files[0].genes.filter { g in maps.allSatisfy { $0[g] != nil } }
        guard !shared.isEmpty else {
            let reference = Set(files[0].genes)
            if let disjoint = files.dropFirst().first(where: { !$0.genes.contains(where: reference.contains) }) {
                throw FileError(disjoint.path, "shares no gene name with \(files[0].path) (first genes here: \(disjoint.genes.prefix(3).joined(separator: ", ")); there: \(files[0].genes.prefix(3).joined(separator: ", ")))")
            }
            throw DataError("no gene name is in every one of \(files.map(\.path).joined(separator: ", "))")
        }
        genes = shared
        columns = maps.map { m in shared.map { m[$0]! } }
        dropped = files.map { $0.genes.count - shared.count }
    }
}
